"""What every account spider shares: which accounts to crawl, and the crawl's clock."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, AsyncIterator, Iterable, Iterator
from zoneinfo import ZoneInfo

import scrapy
from sqlalchemy import select

from storage.db import make_engine, session_scope
from storage.models import Account, Observation


def requests_spent(meta: dict) -> int:
    """Requests one answer (or failure) cost: the request, its retries and its redirects —
    what the night's request budget counts."""
    return 1 + int(meta.get("retry_times", 0) or 0) + int(meta.get("redirect_times", 0) or 0)


class AccountSpider(scrapy.Spider):
    """Base class: subclasses set ``platform`` and write ``start_requests`` over
    ``self.iter_accounts()``.

    The crawl's clock is the monitoring time point T (``MONITOR_AT``): relative dates such
    as "3小时前" are read against it. In production T is "now"; against the sandbox it is
    the scenario's fixed T, so both sides agree.

    Distributed mode (Scrapy settings ``MONITOR_REDIS_URL`` and ``MONITOR_RUN_KEY``): the
    accounts come from the run's shared Redis queue, one at a time, only when the crawl has
    room for another account, so that the other workers get the rest.
    """

    platform: str = ""
    fatal_error: str | None = None

    @property
    def at(self) -> datetime:
        tz = ZoneInfo(self.settings.get("MONITOR_TIMEZONE", "Asia/Shanghai"))
        raw = self.settings.get("MONITOR_AT")
        return datetime.fromisoformat(raw).astimezone(tz) if raw else datetime.now(tz)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.get("MONITOR_TIMEZONE", "Asia/Shanghai"))

    @property
    def distributed(self) -> bool:
        return bool(self.settings.get("MONITOR_REDIS_URL") and self.settings.get("MONITOR_RUN_KEY"))

    def start_requests(self) -> Iterable[Any]:
        return ()

    async def start(self) -> AsyncIterator[Any]:
        # Scrapy ≥ 2.13 reads start(), not start_requests(); subclasses keep writing the
        # synchronous start_requests(). Scrapy drains start() eagerly into the scheduler, so
        # in distributed mode we hold back until the crawl has room: the next item pulls the
        # next account off the shared queue, and an account taken is an account this worker
        # must finish.
        items = iter(self.start_requests())
        while True:
            if self.distributed:
                await self._wait_for_room()
            try:
                item = next(items)
            except StopIteration:
                return
            yield item

    async def _wait_for_room(self) -> None:
        engine = self.crawler.engine
        while engine.needs_backout() or (engine.scheduler is not None and engine.scheduler.has_pending_requests()):
            await asyncio.sleep(0.05)

    def iter_accounts(self, platforms: tuple[str, ...] | None = None) -> Iterator[Account]:
        """The accounts to crawl, lazily: the whole registry selection locally, the shared
        queue in distributed mode (each account loaded from the database by id)."""
        if not self.distributed:
            yield from self._registry_accounts(platforms)
            return
        from spiders.distributed import account_queue

        wanted = set(platforms or (self.platform,))
        queue = account_queue(self.settings, self.name)
        run_id = self.settings.get("MONITOR_RUN_ID")
        engine = make_engine(self.settings.get("MONITOR_DATABASE_URL"))
        try:
            while True:
                account_id = queue.take()
                if account_id is None:
                    return
                with session_scope(engine) as s:
                    account = s.get(Account, account_id)
                    done = run_id is not None and s.scalar(
                        select(Observation.id).where(Observation.run_id == int(run_id),
                                                     Observation.account_id == account_id).limit(1))
                    if account is not None:
                        s.expunge(account)
                if done:
                    # Observed by a worker that died before acknowledging it: exactly once per run.
                    queue.ack(account_id)
                    continue
                if account is None or account.platform not in wanted or not account.active:
                    self.logger.warning("queued account %s is not an active %s account; skipped",
                                        account_id, "/".join(sorted(wanted)))
                    queue.ack(account_id)
                    continue
                yield account
        finally:
            engine.dispose()

    def planned(self, account_id: int, task: str) -> bool:
        """May this account's ``task`` (profile, history, full_download) run tonight? The
        night's plan (``MONITOR_PLAN``: task → account ids) says; no plan: everything may."""
        plan = self.settings.getdict("MONITOR_PLAN") if self.settings.get("MONITOR_PLAN") else None
        if not plan:
            return True
        allowed = self.__dict__.setdefault("_plan_sets", {})
        if task not in allowed:
            allowed[task] = {int(x) for x in plan.get(task) or ()}
        return account_id in allowed[task]

    def load_accounts(self, platforms: tuple[str, ...] | None = None) -> Iterable[Account]:
        """Active registry accounts of this spider's platform (optionally a given subset).

        In distributed mode this is the lazy ``iter_accounts()`` (iterate it, do not
        ``len()`` or ``list()`` it: that would take the whole queue from the other workers).
        """
        if self.distributed:
            return self.iter_accounts(platforms)
        return self._registry_accounts(platforms)

    def _registry_accounts(self, platforms: tuple[str, ...] | None = None) -> list[Account]:
        wanted = platforms or (self.platform,)
        ids = {int(x) for x in (self.settings.getlist("MONITOR_ACCOUNT_IDS") or [])}
        engine = make_engine(self.settings.get("MONITOR_DATABASE_URL"))
        try:
            with session_scope(engine) as s:
                q = select(Account).where(Account.platform.in_(wanted), Account.lifecycle != "注销")
                if ids and len(ids) <= 500:
                    q = q.where(Account.id.in_(sorted(ids)))
                # A night's plan may name more ids than a statement takes parameters: filter here.
                accounts = [a for a in s.scalars(q.order_by(Account.id)) if not ids or a.id in ids]
                s.expunge_all()
                return in_plan_order(accounts, self.settings.getlist("MONITOR_ORDER") or [])
        finally:
            engine.dispose()


def in_plan_order(accounts: list[Account], order: list) -> list[Account]:
    """``accounts`` in the night plan's order (``MONITOR_ORDER``: ids, most urgent first);
    accounts it does not name after them, by id. Start requests go out in this order."""
    if not order:
        return accounts
    rank = {int(x): i for i, x in enumerate(order)}
    return sorted(accounts, key=lambda a: (rank.get(a.id, len(rank)), a.id))
