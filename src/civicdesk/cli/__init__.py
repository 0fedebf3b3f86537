"""The `civicdesk` command line: thin commands over the core."""
