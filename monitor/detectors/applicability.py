"""Which rules apply to which account at T (DESIGN.md "Which accounts")."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.detectors.coverage import is_app_like

PUBLISHING_PLATFORMS = ("weibo", "toutiao", "douyin", "kuaishou")


def is_publishing(account) -> bool:
    """Publishing accounts are held to the update rules: Weibo, WeChat 订阅号 / 服务号
    (a WeChat account of unrecorded kind is treated as a 订阅号), 头条 / 抖音 / 快手."""
    if account.platform == "wechat":
        return account.wechat_kind != "小程序"
    return account.platform in PUBLISHING_PLATFORMS


def closing_with_notice(account, at: datetime, tz: ZoneInfo) -> bool:
    """An account being closed that has published its 停更公告 (NT-90 §16) is not held to
    the update rules."""
    return (account.lifecycle in ("关停", "注销") and account.stop_notice_on is not None
            and account.stop_notice_on <= at.astimezone(tz).date())


def update_rules_apply(account, at: datetime, tz: ZoneInfo) -> bool:
    return (account.lifecycle != "注销" and is_publishing(account)
            and not closing_with_notice(account, at, tz))


def opened_at(account, tz: ZoneInfo) -> datetime | None:
    if account.opened_on is None:
        return None
    return datetime.combine(account.opened_on, time.min, tzinfo=tz)


def old_enough_for_veto(account, at: datetime, min_age_days: int, tz: ZoneInfo) -> bool:
    """An account opened less than ``min_age_days`` before T is not vetoed."""
    opened = opened_at(account, tz)
    return opened is None or at - opened >= timedelta(days=min_age_days)


def existed_since(account, start: datetime, tz: ZoneInfo) -> bool:
    """Weeks and windows before the account was opened are not judged."""
    opened = opened_at(account, tz)
    return opened is None or opened <= start


def availability_rules_apply(account) -> bool:
    return account.lifecycle != "注销" and is_app_like(account)
