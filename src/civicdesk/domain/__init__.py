"""Pure domain types: no I/O, and no imports from the rest of civicdesk."""
