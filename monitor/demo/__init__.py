"""``monitor demo``: the whole product against the sandbox, on a fresh SQLite database."""
