"""Inspectors' interaction tests (私信/留言/评论): record a test, its deadline, its reply.

A test is due a reply within ``[interaction] reply_working_days`` working days after the day it
was sent: China's working days, public holidays and 调休 working weekends included
(``monitor.interaction.workdays``). A test whose deadline has passed without a reply is a suspected veto.no_interaction
(monitor/detectors/interaction.py). Replies come from the inspector's record or, for a 评论
whose comment id is known, from a reply by the account read in the comment section.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from monitor.interaction.workdays import WorkCalendar
from storage.models import INTERACTION_CHANNELS, Account, InteractionTest


class InteractionError(ValueError):
    """Bad input, in one line naming the field."""


def reply_deadline(sent: date, working_days: int, calendar: WorkCalendar | None = None) -> date:
    """The last day a reply is in time: the ``working_days``-th working day after ``sent``."""
    calendar = calendar or WorkCalendar()
    day, left = sent, working_days
    while left:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            left -= 1
    return day


def find_account(s, key: str) -> Account:
    """An account by id, 账号ID (platform_id) or exact name — what an inspector has at hand."""
    key = (key or "").strip()
    rows = list(s.scalars(select(Account).where(Account.platform_id == key)))
    if not rows and key.isdigit():
        rows = [a for a in [s.get(Account, int(key))] if a is not None]
    if not rows:
        rows = list(s.scalars(select(Account).where(Account.name == key)))
    if not rows:
        raise InteractionError(f"ACCOUNT: no account with id, 账号ID or name {key!r} (see `monitor accounts list`)")
    if len(rows) > 1:
        raise InteractionError(f"ACCOUNT: {key!r} names {len(rows)} accounts: give the account id")
    return rows[0]


def parse_when(text: str | datetime, tz: ZoneInfo, field: str) -> datetime:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=tz)
    try:
        value = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise InteractionError(f"{field}: {text!r} is not a date or time like 2026-11-20 or 2026-11-20 09:30") from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def add_test(s, account: Account, *, channel: str, sent: str | datetime, text: str, tz: ZoneInfo,
             working_days: int, calendar: WorkCalendar | None = None, recorded_by: str | None = None,
             comment_id: str | None = None) -> InteractionTest:
    if channel not in INTERACTION_CHANNELS:
        raise InteractionError(f"--channel must be one of {'|'.join(INTERACTION_CHANNELS)}, not {channel!r}")
    if not (text or "").strip():
        raise InteractionError("--text: the message sent is empty")
    sent_at = parse_when(sent, tz, "--sent")
    test = InteractionTest(account_id=account.id, channel=channel, sent_at=sent_at, text=text.strip(),
                           deadline=reply_deadline(sent_at.astimezone(tz).date(), working_days, calendar),
                           recorded_by=recorded_by, platform_comment_id=(comment_id or "").strip() or None)
    s.add(test)
    s.flush()
    return test


def record_reply(s, test_id: int, *, replied: str | datetime, text: str | None, tz: ZoneInfo,
                 source: str = "inspector") -> InteractionTest:
    test = s.get(InteractionTest, test_id)
    if test is None:
        raise InteractionError(f"no interaction test with id {test_id} (see `monitor interaction list`)")
    when = parse_when(replied, tz, "--replied")
    if when < test.sent_at:
        raise InteractionError(f"--replied: {when.isoformat()} is before the test was sent ({test.sent_at.isoformat()})")
    test.replied_at, test.reply_text, test.reply_source = when, (text or "").strip() or None, source
    return test


def state_of(test: InteractionTest, today: date, tz: ZoneInfo) -> str:
    """replied_in_time, replied_late, waiting, overdue."""
    if test.replied_at is not None:
        return "replied_in_time" if test.replied_at.astimezone(tz).date() <= test.deadline else "replied_late"
    return "overdue" if today > test.deadline else "waiting"


def test_json(test: InteractionTest, today: date, tz: ZoneInfo) -> dict:
    return {"id": test.id, "account_id": test.account_id, "channel": test.channel,
            "sent_at": test.sent_at.astimezone(tz).isoformat(), "text": test.text,
            "deadline": test.deadline.isoformat(), "state": state_of(test, today, tz),
            "replied_at": test.replied_at.astimezone(tz).isoformat() if test.replied_at else None,
            "reply_text": test.reply_text, "reply_source": test.reply_source, "recorded_by": test.recorded_by,
            "comment_id": test.platform_comment_id}
