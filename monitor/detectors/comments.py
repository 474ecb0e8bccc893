"""ded.comment_moderation and ded.improper_response (suspected), from the comment sections
the spiders read (storage.models.Comment).

A comment by the public that the text checks flag (sensitive words, insults) and that was
still there when read is 不当言论 left standing: 留言审看不到位. The account's own reply with
abusive or brush-off wording (monitor/textcheck/data/sensitive_abusive.txt) is 回怼网民:
互动回应失当. One case per comment; the facts hold the comment, its post and the spans."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from sqlalchemy import select

from monitor.detectors.context import Context, Draft
from storage.models import Comment, Post

RULES = ("ded.comment_moderation", "ded.improper_response")
ABUSIVE = "abusive."  # rules of monitor/textcheck/data/sensitive_abusive.txt (group abusive)


def _comments(ctx: Context) -> dict[int, list]:
    """Comments read on posts of the check period, per account (one query per run)."""
    cached = ctx.__dict__.get("_comments_by_account")
    if cached is None:
        q = (select(Comment, Post.platform_post_id, Post.url, Post.published_at)
             .join(Post, Post.id == Comment.post_id)
             .where(Post.published_at >= ctx.period_start, Post.published_at <= ctx.at,
                    Comment.first_seen_at <= ctx.at)
             .order_by(Comment.account_id, Comment.id))
        cached = defaultdict(list)
        for row in ctx.session.execute(q):
            cached[row[0].account_id].append(row)
        ctx.__dict__["_comments_by_account"] = cached
    return cached


def detect(ctx: Context, account) -> Iterator[Draft]:
    from monitor.textcheck import check_text

    for c, ppid, url, published in _comments(ctx).get(account.id, []):
        hits = check_text(c.text, published=c.created_at or published) if c.text else []
        if c.by_account:
            hits = [h for h in hits if h.rule.startswith(ABUSIVE)]
            rule = "ded.improper_response"
        else:
            rule = "ded.comment_moderation"
        if not hits:
            continue
        yield Draft(account.id, rule, f"comment:{c.platform_comment_id}", c.created_at, ctx.at, {
            "comment": {"id": c.platform_comment_id, "text": c.text, "user": c.user_name,
                        "created_at": ctx.iso(c.created_at), "by_account": c.by_account,
                        "parent_id": c.parent_comment_id, "last_seen_at": ctx.iso(c.last_seen_at),
                        "capture_ref": c.capture_ref},
            "post": {"post_id": ppid, "url": url, "published_at": ctx.iso(published)},
            "hits": [h.as_dict() for h in hits],
        }, 0.6)
