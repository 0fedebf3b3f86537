"""Language detection and the languages civicdesk's pages and messages exist in."""
