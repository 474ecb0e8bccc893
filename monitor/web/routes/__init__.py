"""One module per page group; each defines ``router`` and is discovered by the app factory."""
