"""One spider per platform."""
