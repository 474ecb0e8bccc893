"""scrapy-redis request serializer that keeps per-account objects by reference.

Spiders keep an account's crawl state in plain objects in ``request.meta`` (the WeChat
spider's feed and 认证 requests share one object and count down to the observation).
Pickling each request into Redis would hand every request its own copy and break that.
A worker's request queue is only ever read back by the same process (the account and its
buffered posts live there), so plain data is stored in Redis and anything else stays in
this process, referenced by id and released when the request is read back.
"""
from __future__ import annotations

import io
import pickle
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal

_PLAIN = (str, bytes, int, float, bool, type(None), list, tuple, dict, set, frozenset,
          datetime, date, time, timedelta, Decimal)
_lock = threading.Lock()
_objects: dict[int, list] = {}  # id → [object, references still in the queue]


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _PLAIN) and type(obj) in _PLAIN:
            return None
        key = id(obj)
        with _lock:
            entry = _objects.setdefault(key, [obj, 0])
            entry[1] += 1
        return key


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, key):
        with _lock:
            entry = _objects[key]
            entry[1] -= 1
            if entry[1] <= 0:
                del _objects[key]
        return entry[0]


def dumps(obj) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def loads(data: bytes):
    return _Unpickler(io.BytesIO(data)).load()


def held() -> int:
    """Objects still referenced from queued requests (for tests and leak checks)."""
    return len(_objects)
