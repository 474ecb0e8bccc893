"""Addresses of workspace pages for messages sent out of it (alerts, digests). Empty
``[web] public_url`` → None: the messages then name local evidence paths as before."""
from __future__ import annotations


def page_url(settings, path: str) -> str | None:
    base = settings.web.public_url
    return f"{base}{path}" if base else None


def finding_url(settings, finding_id: int) -> str | None:
    return page_url(settings, f"/findings/{finding_id}")


def account_url(settings, account_id: int) -> str | None:
    return page_url(settings, f"/accounts/{account_id}")


def order_url(settings, order_id: int) -> str | None:
    return page_url(settings, f"/orders/{order_id}")
