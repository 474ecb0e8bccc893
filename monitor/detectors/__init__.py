"""Detectors: stored observations as of T → Finding rows.

``run_detection(app, at)`` reads only stored rows (accounts, observations, posts, app
checks) and writes findings; it is idempotent for one T and never undoes a review.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from monitor.detectors.context import Context, Draft
from monitor.detectors.post_texts import check_new_texts
from monitor.detectors.registry import DETECTORS
from monitor.detectors.store import store_findings
from monitor.rules import RuleSet, load_ruleset


def detect_drafts(ctx: Context) -> list[Draft]:
    """All findings the detectors propose at T. Accounts that could not be checked
    (未能核验) get none from rules about tonight's observation: a failed fetch is never
    evidence. A detector of what stored posts say (``STORED_CONTENT``) rests on the successful
    fetches that stored them, so its findings — and a reviewer's confirmation — stand tonight too."""
    active = [d for d in DETECTORS if any(r in ctx.rules for r in d.RULES)]
    drafts: list[Draft] = []
    for account in ctx.accounts:
        verifiable = ctx.statuses[account.id].verifiable
        for det in active:
            if verifiable or getattr(det, "STORED_CONTENT", False):
                drafts.extend(x for x in det.detect(ctx, account) if x.rule in ctx.rules)
    return drafts


def run_detection(app, at: datetime | str | None = None, ruleset: RuleSet | None = None) -> dict:
    """Check the texts of new or changed posts, detect at T and store the findings;
    returns counts for the Run record."""
    at = app.at(at)
    ruleset = ruleset or load_ruleset(app.settings)
    with app.session() as s:
        texts = check_new_texts(s, app.settings)
    with app.session() as s:
        ctx = Context(s, at, ruleset, app.tz)
        drafts = detect_drafts(ctx)
        written = store_findings(s, at, drafts, ruleset, {a.id for a in ctx.accounts})
        unverifiable = sum(1 for st in ctx.statuses.values() if not st.verifiable)
        undated = sum(ctx.undated_posts.get(a.id, 0) for a in ctx.accounts)
    return {
        "at": at.isoformat(),
        "accounts": len(ctx.accounts),
        "unverifiable": unverifiable,
        "findings": len(drafts),
        "by_rule": dict(sorted(Counter(d.rule for d in drafts).items())),
        "posts_without_time": undated,
        **texts.counts(),
        **written,
    }


__all__ = ["run_detection", "detect_drafts", "Context", "Draft"]
