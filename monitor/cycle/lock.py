"""One holder per database: a PostgreSQL advisory lock, or a file lock beside the SQLite file.

Used for "one cycle at a time" and "one scheduler per database". Both kinds are released by
the operating system or the server when the holder dies, so a kill -9 never leaves a stale lock.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url


class LockHeld(Exception):
    pass


class DatabaseLock:
    def __init__(self, engine: Engine, name: str):
        self.engine = engine
        self.name = name
        self._conn = None
        self._fh = None

    def _key(self) -> int:
        return int.from_bytes(hashlib.sha256(self.name.encode()).digest()[:8], "big", signed=True)

    def acquire(self) -> "DatabaseLock":
        url = make_url(str(self.engine.url))
        if url.get_backend_name() == "postgresql":
            conn = self.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key()}).scalar()
            conn.commit()
            if not got:
                conn.close()
                raise LockHeld(self.name)
            self._conn = conn
        else:
            db = url.database or "memory"
            path = Path(f"{db}.{self.name}.lock") if db not in ("", ":memory:") else Path(f"/tmp/monitor-{self.name}.lock")
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(path, "a+")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                raise LockHeld(self.name) from None
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
            self._fh = fh
        return self

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key()})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "DatabaseLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
