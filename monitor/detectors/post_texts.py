"""The text check of stored posts (monitor.textcheck over each post's title and text).

A post is checked once per text: its ``TextCheck`` row keeps the ``text_sha`` it checked and
the checker ``version`` (word lists, code, the registry's 主办单位) it checked with. Nightly,
detection checks only posts whose text is new or changed since (``check_new_texts``);
``monitor text sweep`` checks stored history again on demand, e.g. after the lists grew
(``sweep``). The hits are kept on the TextCheck row; ``text_content`` turns those of the
check period's posts into suspected findings.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from storage.models import Account, Post, TextCheck
from storage.types import utcnow

BATCH = 500
CONTEXT_CHARS = 20  # characters either side of a hit kept with it, for the reviewer


@dataclass
class CheckRun:
    """What one pass checked and found."""
    checked: int = 0
    with_hits: int = 0
    hits: int = 0
    characters: int = 0
    version: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)  # the posts with hits (sweep output)

    def counts(self) -> dict[str, int]:
        return {"texts_checked": self.checked, "texts_with_hits": self.with_hits, "text_hits": self.hits}


class Checker:
    """monitor.textcheck with the registry's 主办单位 and the operator's lists, and the version
    that names them."""

    def __init__(self, session: Session, settings):
        self.terms = sorted({u for (u,) in session.execute(select(Account.host_unit).distinct()) if u and u.strip()})
        self.lists_dir = settings.textcheck.extra_lists_dir or None
        self.version = checker_version(self.terms, self.lists_dir)
        self.tz = ZoneInfo(settings.timezone)

    @cached_property
    def checker(self):
        # Built on the first post to check (about a second): a night without new text costs nothing.
        from monitor.textcheck import get_checker

        return get_checker(self.terms, self.lists_dir)

    def check(self, text: str, published: datetime | None) -> list:
        # The local day it was published tells the pairs what was right then (卫计委 in 2016).
        return self.checker.check(text, published.astimezone(self.tz).date() if published else None)

    def post_hits(self, title: str | None, text: str | None, published: datetime | None) -> list[dict[str, Any]]:
        """Hits of one post, each with the field it is in and the words around it."""
        out = []
        for name, value in fields(title, text):
            for hit in self.check(value, published):
                row = hit.as_dict()
                row.update(field=name, before=value[max(0, hit.start - CONTEXT_CHARS):hit.start],
                           after=value[hit.end:hit.end + CONTEXT_CHARS])
                out.append(row)
        return out


def fields(title: str | None, text: str | None) -> Iterator[tuple[str, str]]:
    """The parts of a post to check. A title that only repeats the start of the text (a Weibo
    post's title is its first 60 characters) is not checked twice."""
    text = text or ""
    if title and not text.startswith(title):
        yield "title", title
    if text:
        yield "text", text


def checker_version(terms: list[str], lists_dir: str | None) -> str:
    """Changes when anything that decides a hit changes: the checker's code and packaged
    lists, the operator's lists, the registry's 主办单位."""
    digest = hashlib.sha256(_package_digest().encode())
    if lists_dir and Path(lists_dir).is_dir():
        for path in sorted(Path(lists_dir).rglob("*")):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update("\n".join(terms).encode())
    return digest.hexdigest()[:32]


@lru_cache(maxsize=1)
def _package_digest() -> str:
    import monitor.textcheck as package

    root = Path(package.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _pending(session: Session, *, changed_only: bool, since: datetime | None):
    q = (select(Post.id, Post.account_id, Post.platform_post_id, Post.url, Post.published_at, Post.title,
                Post.text, Post.text_sha, Post.text_source)
         .outerjoin(TextCheck, TextCheck.post_id == Post.id)
         .where(Post.text_sha.is_not(None)))
    if changed_only:
        q = q.where(or_(TextCheck.post_id.is_(None), TextCheck.text_sha != Post.text_sha))
    if since is not None:
        q = q.where(Post.published_at >= since)
    return q.order_by(Post.id)


def run_checks(session: Session, settings, *, changed_only: bool, since: datetime | None = None,
               keep_posts: bool = False) -> CheckRun:
    """Check the selected posts, replace their TextCheck rows, return the tally (and, with
    ``keep_posts``, every post with hits)."""
    checker = Checker(session, settings)
    run = CheckRun(version=checker.version)
    now = utcnow()
    query, last = _pending(session, changed_only=changed_only, since=since), 0
    while True:
        # Keyset pages: memory stays one batch of texts however long the history.
        batch = list(session.execute(query.where(Post.id > last).limit(BATCH)))
        if not batch:
            break
        last = batch[-1].id
        values = []
        for r in batch:
            hits = checker.post_hits(r.title, r.text, r.published_at)
            run.checked += 1
            run.characters += len(r.text or "") + len(r.title or "")
            if hits:
                run.with_hits += 1
                run.hits += len(hits)
                if keep_posts:
                    run.posts.append({"post": r, "hits": hits})
            values.append({"post_id": r.id, "text_sha": r.text_sha, "version": checker.version,
                           "checked_at": now, "hit_count": len(hits), "hits": hits})
        session.execute(delete(TextCheck).where(TextCheck.post_id.in_([r.id for r in batch])))
        session.execute(insert(TextCheck), values)
    return run


def check_new_texts(session: Session, settings) -> CheckRun:
    """The nightly pass: posts whose text was never checked or changed since it was."""
    return run_checks(session, settings, changed_only=True)


def sweep(session: Session, settings, since: datetime | None = None) -> CheckRun:
    """Every stored post (published since ``since``) checked again with tonight's lists."""
    return run_checks(session, settings, changed_only=False, since=since, keep_posts=True)


__all__ = ["CheckRun", "Checker", "check_new_texts", "checker_version", "fields", "run_checks", "sweep"]
