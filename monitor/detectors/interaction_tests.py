"""veto.no_interaction (suspected) from an inspector's interaction test (monitor/interaction):
a message sent through 私信/留言/评论 past its reply deadline with no reply, or answered late,
is a case of its own (one per test).

It rests on the inspector's record (and a reply the crawl may have read on an earlier night),
not on tonight's fetch, so it stands on a night the account could not be checked: an
unanswered test does not become answered because the platform refused us tonight."""
from __future__ import annotations

from typing import Iterator

from monitor.detectors.context import Context, Draft
from monitor.interaction import state_of, test_json

RULES = ("veto.no_interaction",)
STORED_CONTENT = True


def detect(ctx: Context, account) -> Iterator[Draft]:
    today = ctx.at.astimezone(ctx.tz).date()
    for test in ctx.interaction_tests.get(account.id, []):
        if state_of(test, today, ctx.tz) in ("overdue", "replied_late"):
            yield Draft(account.id, "veto.no_interaction", f"test:{test.id}", test.sent_at, ctx.at,
                        {"interaction_test": test_json(test, today, ctx.tz)}, 0.8)
