"""What every account spider shares: which accounts to crawl, and the crawl's clock."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import scrapy
from sqlalchemy import select

from storage.db import make_engine, session_scope
from storage.models import Account


class AccountSpider(scrapy.Spider):
    """Base class: subclasses set ``platform`` and implement ``requests_for(account)``.

    The crawl's clock is the monitoring time point T (``MONITOR_AT``): relative dates such
    as "3小时前" are read against it. In production T is "now"; against the sandbox it is
    the scenario's fixed T, so both sides agree.
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

    def load_accounts(self, platforms: tuple[str, ...] | None = None) -> list[Account]:
        """Active registry accounts of this spider's platform (optionally a given subset)."""
        wanted = platforms or (self.platform,)
        ids = [int(x) for x in (self.settings.getlist("MONITOR_ACCOUNT_IDS") or [])]
        engine = make_engine(self.settings.get("MONITOR_DATABASE_URL"))
        try:
            with session_scope(engine) as s:
                q = select(Account).where(Account.platform.in_(wanted), Account.lifecycle != "注销")
                if ids:
                    q = q.where(Account.id.in_(ids))
                accounts = list(s.scalars(q.order_by(Account.id)))
                s.expunge_all()
                return accounts
        finally:
            engine.dispose()
