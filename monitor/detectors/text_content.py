"""veto.security and ded.improper_content (suspected) — what the posts say.

Every hit the text check (post_texts.py, monitor.textcheck) found in the current text of a
post published in the check period becomes one suspected finding on the Annex 2 line the
hit names: 严重表述错误, 敏感内容 and 个人信息泄露 under 安全、泄密事故等严重问题
(``veto.security``), 用语不规范 under 内容发布不当 (``ded.improper_content``). Never an
automatic veto: a reviewer confirms or dismisses each one, and suspected findings never count.

One finding per span. Its case key names the post and the span by what it is (field, rule,
matched text, which occurrence), not by offsets, so an edit elsewhere in the post keeps the
case — and a reviewer's dismissal, which the finding store carries to later nights, keeps
that span from being raised again for that post.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from typing import Iterator

from monitor.detectors.context import Context, Draft

RULES = ("veto.security", "ded.improper_content")
# The hits are in posts stored by successful fetches: they stand on a night the account's
# crawl fails (detect_drafts), so a confirmed one keeps counting.
STORED_CONTENT = True
# How sure a hit is, by kind: a checksum-valid ID number is rarely anything else; a sensitive
# word in government prose is most often reported against.
CONFIDENCE = {"个人信息泄露": 0.9, "严重表述错误": 0.7, "用语不规范": 0.7, "敏感内容": 0.5}


def case_key(post_id: int, hit: dict, occurrence: int) -> str:
    what = f"{hit.get('field', 'text')}|{hit['rule']}|{hit['text']}|{occurrence}"
    return f"text:{post_id}:{hashlib.sha1(what.encode()).hexdigest()[:12]}"


def post_cases(post_id: int, hits: list[dict]) -> Iterator[tuple[str, dict]]:
    """(case key, hit) for each hit of one post."""
    seen: Counter = Counter()
    for hit in hits:
        what = (hit.get("field", "text"), hit["rule"], hit["text"])
        yield case_key(post_id, hit, seen[what]), hit
        seen[what] += 1


def detect(ctx: Context, account) -> Iterator[Draft]:
    for post in ctx.text_hits.get(account.id, ()):
        for key, hit in post_cases(post.id, post.hits):
            facts = {
                "post_id": post.platform_post_id, "post_url": post.url,
                "published_at": ctx.iso(post.published_at), "text_source": post.text_source,
                "capture_ref": post.text_capture,
                "field": hit.get("field", "text"), "start": hit["start"], "end": hit["end"],
                "matched": hit["text"], "suggestion": hit.get("suggestion"), "text_kind": hit["kind"],
                "text_rule": hit["rule"], "rule_source": hit.get("source"), "hit_note": hit.get("note") or None,
                "before": hit.get("before", ""), "after": hit.get("after", ""),
            }
            if post.gone_at is not None:
                facts["post_gone_at"] = ctx.iso(post.gone_at)
            yield Draft(account.id, hit["line"], key, post.published_at, post.published_at,
                        {k: v for k, v in facts.items() if v is not None},
                        CONFIDENCE.get(hit["kind"], 0.5))


def review_states(session, keys: list[str]) -> dict[str, str]:
    """The latest detector finding's state for each case key (no finding: not raised)."""
    from sqlalchemy import select

    from storage.models import Finding

    out: dict[str, str] = {}
    for i in range(0, len(keys), 500):
        q = (select(Finding.case_key, Finding.state)
             .where(Finding.case_key.in_(keys[i:i + 500]), Finding.source == "detector").order_by(Finding.at))
        out.update(dict(session.execute(q).all()))
    return out


def sweep_rows(session, done, tz) -> list[dict]:
    """One machine-readable row per hit of a sweep (``post_texts.sweep``), with its account,
    post, case key and review state."""
    from sqlalchemy import select

    from storage.models import Account

    posts = [(p["post"], key, hit) for p in done.posts for key, hit in post_cases(p["post"].id, p["hits"])]
    states = review_states(session, [key for _, key, _ in posts])
    accounts = {a.id: a for a in session.scalars(select(Account).where(
        Account.id.in_({post.account_id for post, _, _ in posts})))} if posts else {}
    rows = []
    for post, key, hit in posts:
        account = accounts[post.account_id]
        rows.append({
            "account_id": account.id, "account_name": account.name, "platform": account.platform,
            "post_id": post.platform_post_id, "url": post.url,
            "published_at": post.published_at.astimezone(tz).isoformat() if post.published_at else None,
            "text_source": post.text_source, "field": hit.get("field", "text"),
            **{k: hit.get(k) for k in ("start", "end", "text", "suggestion", "kind", "rule", "source", "line", "note")},
            "case_key": key, "review_state": states.get(key),
        })
    return rows