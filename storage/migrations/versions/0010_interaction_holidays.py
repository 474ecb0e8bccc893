"""interaction_tests.deadline: recounted in China's working days (holidays, 调休)

Deadlines were counted Monday–Friday until now: a test sent before 国庆 or 春节 was due days
before its real deadline, and its account a suspected veto.no_interaction. The number of
working days each deadline was counted with is recovered (the Monday–Friday days between
the day sent and the deadline) and counted again on the calendar; a deadline only ever
moves later. Operators' own [interaction] holidays/workdays are not known here; the
calendar package and the fixed-date holidays are.

Revision ID: 0010_interaction_holidays
Revises: 0009_night_summaries
Create Date: 2026-12-01 16:15:00
"""
from datetime import timedelta
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0010_interaction_holidays'
down_revision = '0009_night_summaries'
branch_labels = None
depends_on = None

TZ = ZoneInfo("Asia/Shanghai")
# As monitor/interaction/workdays.py counts them on 2026-12-01 (a migration keeps its own copy:
# it must give the same answer whatever the product's code becomes).
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


def _is_workday(day) -> bool:
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def _deadline(sent, working_days: int):
    day, left = sent, working_days
    while left:
        day += timedelta(days=1)
        left -= _is_workday(day)
    return day


def _weekdays_between(first, last) -> int:
    n, day = 0, first
    while day < last:
        day += timedelta(days=1)
        n += day.weekday() < 5
    return n


def upgrade() -> None:
    tests = sa.table("interaction_tests", sa.column("id", sa.Integer),
                     sa.column("sent_at", storage.types.AwareDateTime(timezone=True)), sa.column("deadline", sa.Date))
    conn = op.get_bind()
    for test_id, sent_at, deadline in conn.execute(sa.select(tests.c.id, tests.c.sent_at, tests.c.deadline)).all():
        sent = sent_at.astimezone(TZ).date()
        again = _deadline(sent, max(1, _weekdays_between(sent, deadline)))
        if again > deadline:
            conn.execute(tests.update().where(tests.c.id == test_id).values(deadline=again))


def downgrade() -> None:
    pass  # the Monday–Friday deadlines were the wrong ones
