"""Store adapters, one small module per store. Each module defines ``STORE``, an object with
``name`` and ``async check(transport, url, store_id, expected_package=None, *, fallback_url=None)
-> CheckResult`` (``url``/``fallback_url`` from ``[platforms.<store>]``);
every module in this package is registered, so adding a store touches nothing else.

Outcomes: ``ok`` (listed and downloadable), ``not_listed`` (the store says it has no such
app, in the answer's known shape), ``fail`` (listed but not downloadable, or another app's
listing), ``unknown`` with the reason (no usable answer: network error, HTTP error, captcha,
a shape we do not know — never ``not_listed``).
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Protocol

from spiders.appcheck.result import CheckResult
from spiders.appcheck.transport import Transport


class StoreAdapter(Protocol):
    name: str

    async def check(self, transport: Transport, url: str, store_id: str,
                    expected_package: str | None = None, *, fallback_url: str | None = None) -> CheckResult: ...


def _discover() -> dict[str, Any]:
    found = {}
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        store = getattr(importlib.import_module(f"{__name__}.{mod.name}"), "STORE", None)
        if store is not None:
            found[store.name] = store
    return found


STORES: dict[str, StoreAdapter] = _discover()

__all__ = ["STORES", "StoreAdapter"]
