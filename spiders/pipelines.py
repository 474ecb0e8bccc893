"""Write spider items to storage.

Posts, profile facts and app checks are buffered per account and written, with the
account's ObservationItem, in one transaction. Posts are upserted by (account, platform post id)
with INSERT … ON CONFLICT, so re-crawling never duplicates and two workers writing the
same post at once cannot collide. A full body already stored (``Post.text_source`` in
``FULL_TEXT_SOURCES``: a Weibo long text, an article's ``#js_content``) is never replaced by a
partial one (a card cut at 全文, a feed description), so a body is fetched once. Every value goes through ``storage.fit`` first (NULs
dropped, over-long text cut and noted), so PostgreSQL stores what SQLite stores; a write that
still fails is recorded as that account's failed observation (``storage_write_failed``), which
the operator is alerted about, never a silent gap.

The writes happen in the crawl's writer (``spiders.writer``: a process beside the crawl by
default, which builds its own copy of this pipeline from ``attach``'s spec and is handed
each complete account), off the event loop: accounts are committed in batches (one transaction for up to ``BATCH`` accounts, or whatever
is waiting when the queue runs dry); a batch that fails is written again account by account,
so one bad row costs only its own account.
"""
from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, case, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from spiders.items import TEXT_LIMIT, AppCheckItem, CommentItem, ObservationItem, PostItem, ProfileItem
from spiders.writer import BackgroundWriter, resolved, writer_for
from storage.db import make_engine, session_scope
from storage.fit import CUT_KEY, WRITE_FAILED, fit_row, fit_with_note, strip_nul
from storage.models import FULL_TEXT_SOURCES, Account, AppCheck, Comment, InteractionTest, Observation, Post
from storage.texts import text_sha

log = logging.getLogger(__name__)

BATCH = 64  # accounts per transaction in the writer

_POST_UPDATABLE = ("published_at", "kind", "pinned", "url", "time_source", "state", "details", "last_seen_at")
# Columns that come from the body: kept as stored when tonight's body is weaker than it.
_POST_BODY = ("title", "text", "text_source", "text_sha", "text_capture", "ad_signals")


class StoragePipeline:
    def __init__(self, database_url: str, run_id: int | None):
        self.database_url = database_url
        self.run_id = run_id
        self.engine = None
        self._posts: dict[int, list[PostItem]] = defaultdict(list)
        self._profiles: dict[int, ProfileItem] = {}
        self._app_checks: dict[int, list[AppCheckItem]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self.writer = BackgroundWriter(threaded=False)
        self._batch: list[tuple] = []

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        run_id = s.get("MONITOR_RUN_ID")
        pipeline = cls(s.get("MONITOR_DATABASE_URL"), int(run_id) if run_id else None)
        pipeline.writer = writer_for(crawler)
        pipeline.writer.attach(pipeline, (cls, (pipeline.database_url, pipeline.run_id)))
        return pipeline

    def open_spider(self, spider=None):
        if self.writer.mode == "process":
            return  # the writer process's copy of this pipeline writes
        self.engine = make_engine(self.database_url)
        self.writer.on_idle(self._commit_batch)

    def close_spider(self, spider=None):
        # Posts whose account never got an observation (spider stopped mid-account) are
        # dropped on purpose: without an observation they prove nothing.
        self._posts.clear()
        self._profiles.clear()
        self._app_checks.clear()
        for key, n in (self.writer.close_sink(self) or {}).items():  # the writer process's counts
            self.counts[key] += n
        self.writer.flush()
        if self.engine is not None:
            self.engine.dispose()

    def process_item(self, item, spider=None):
        if isinstance(item, PostItem):
            self._posts[item.account_id].append(item)
        elif isinstance(item, ProfileItem):
            self._profiles[item.account_id] = item
        elif isinstance(item, ObservationItem):
            self._hand_over(item)
        elif isinstance(item, AppCheckItem):
            self._app_checks[item.account_id].append(item)
        return item

    def _hand_over(self, obs: ObservationItem) -> None:
        """The account is complete: gather its rows and give them to the writer."""
        posts = self._posts.pop(obs.account_id, []) + list(obs.posts)
        profile = obs.profile or self._profiles.pop(obs.account_id, None)
        self._profiles.pop(obs.account_id, None)
        app_checks = self._app_checks.pop(obs.account_id, [])
        self.writer.submit(self._stage, (obs, posts, profile, app_checks))

    def _stage(self, account: tuple) -> None:
        self._batch.append(account)
        if len(self._batch) >= BATCH:
            self._commit_batch()

    def _commit_batch(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        if len(batch) > 1:
            try:
                with session_scope(self.engine) as s:
                    for account in batch:
                        self._apply(s, *account)
            except SQLAlchemyError:
                pass  # written again one account at a time: only the bad one fails
            else:
                for account in batch:
                    self._count(*account)
                return
        for account in batch:
            self._write_account(*account)

    def _write_account(self, obs: ObservationItem, posts, profile, app_checks) -> None:
        try:
            with session_scope(self.engine) as s:
                self._apply(s, obs, posts, profile, app_checks)
        except SQLAlchemyError as exc:
            self._record_write_failure(_observation_values(obs), exc)
            return
        self._count(obs, posts, profile, app_checks)

    def _apply(self, s, obs: ObservationItem, posts, profile, app_checks) -> None:
        s.add(Observation(run_id=self.run_id, **fit_with_note(Observation.__table__, _observation_values(obs))))
        if posts:
            upsert_posts(s, posts, obs.observed_at)
        if obs.comments:
            upsert_comments(s, obs.account_id, obs.comments, obs.observed_at)
        if profile is not None:
            apply_profile(s, profile)
        s.add_all(AppCheck(run_id=self.run_id, **fit_with_note(AppCheck.__table__, _values(c)))
                  for c in app_checks)
        seen = obs.seen_post_ids
        if obs.outcome == "ok" and seen is not None and obs.covered_from is not None:
            mark_gone(s, obs.account_id, set(seen), obs.covered_from, obs.observed_at)

    def _count(self, obs: ObservationItem, posts, profile, app_checks) -> None:
        self.counts[f"observations_{obs.outcome}"] += 1
        self.counts["posts"] += len(posts)
        self.counts["app_checks"] += len(app_checks)
        self.counts["comments"] += len(obs.comments)

    def _record_write_failure(self, values: dict[str, Any], exc: SQLAlchemyError) -> None:
        """The account's rows could not be written: store a failed observation in their place
        so the account is 未能核验 *with the reason* and the alert stage names it."""
        error = f"{type(getattr(exc, 'orig', None) or exc).__name__}: {getattr(exc, 'orig', None) or exc}"
        log.error("account %s: writing its %s observation failed: %s", values["account_id"], values["kind"], error)
        self.counts["write_failures"] += 1
        failed = {k: values[k] for k in ("account_id", "platform", "kind", "url", "observed_at", "request_count",
                                         "capture_ref")}
        failed.update(outcome="error", reason=f"{WRITE_FAILED}: {error.splitlines()[0][:300]}",
                      details={"write_failed": values["outcome"]})
        try:
            with session_scope(self.engine) as s:
                s.add(Observation(run_id=self.run_id, **fit_with_note(Observation.__table__, failed)))
        except SQLAlchemyError:
            log.exception("account %s: recording the write failure failed too", values["account_id"])
        self.counts[f"observations_{failed['outcome']}"] += 1


@lru_cache(maxsize=16)
def _field_names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _values(item) -> dict[str, Any]:
    """An item's fields, one level deep (``dataclasses.asdict`` deep-copies every nested value,
    which cost more than the write itself); pending WARC references (``capture_ref``,
    ``text_capture`` …) resolved to their strings."""
    return {name: resolved(getattr(item, name)) for name in _field_names(type(item))}


def _observation_values(obs: ObservationItem) -> dict[str, Any]:
    values = _values(obs)
    for name in ("seen_post_ids", "posts", "profile", "comments"):
        values.pop(name, None)
    return values


def upsert_posts(session, posts: list[PostItem], seen_at) -> None:
    # One post id may appear twice in one crawl (pinned and in the timeline): keep the last.
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for p in posts:
        values = _values(p)
        if values["text"] and len(values["text"]) > TEXT_LIMIT:
            cut = {**(values["details"].get(CUT_KEY) or {}), "text": len(values["text"])}
            values.update(text=values["text"][:TEXT_LIMIT], details={**values["details"], CUT_KEY: cut})
        row = fit_with_note(Post.__table__, values)
        row.update(first_seen_at=seen_at, last_seen_at=seen_at, gone_at=None,
                   text_sha=text_sha(row["title"], row["text"]))
        prev = rows.get((p.account_id, p.platform_post_id))
        if prev is not None:
            row["pinned"] = row["pinned"] or prev["pinned"]
        rows[(p.account_id, p.platform_post_id)] = row
    # Rows in a stable key order: the statement is then compiled once and cached, and the
    # driver gets one executemany (a multi-VALUES statement per batch would be recompiled
    # for every different row count).
    session.execute(_upsert_statement(session.get_bind().dialect.name), list(rows.values()))


@lru_cache(maxsize=4)
def _upsert_statement(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Post)
    new, old = stmt.excluded, Post.__table__.c
    # Constants inline: an IN list would be an "expanding" parameter, which executemany refuses.
    full = lambda col: or_(*(col == literal_column(f"'{v}'") for v in FULL_TEXT_SOURCES))  # noqa: E731
    weaker = or_(and_(full(old.text_source), or_(new.text_source.is_(None), ~full(new.text_source))),
                 and_(old.text_source.is_not(None), new.text_source.is_(None)))
    return stmt.on_conflict_do_update(
        index_elements=["account_id", "platform_post_id"],
        set_={**{c: getattr(new, c) for c in _POST_UPDATABLE},
              **{c: case((weaker, old[c]), else_=new[c]) for c in _POST_BODY}, "gone_at": None},
    )


def upsert_comments(session, account_id: int, comments: list[CommentItem], seen_at) -> None:
    """Comments by (post, comment id); a comment seen again keeps its first_seen_at."""
    ppids = {c.platform_post_id for c in comments}
    post_ids = dict(session.execute(select(Post.platform_post_id, Post.id).where(
        Post.account_id == account_id, Post.platform_post_id.in_(ppids))).all())
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for c in comments:
        if c.platform_post_id not in post_ids:
            continue
        row, _ = fit_row(Comment.__table__, {k: v for k, v in _values(c).items() if k != "platform_post_id"})
        row.update(account_id=account_id, post_id=post_ids[c.platform_post_id], first_seen_at=seen_at, last_seen_at=seen_at)
        rows[(row["post_id"], c.platform_comment_id)] = row
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(Comment)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["post_id", "platform_comment_id"],
        set_={c: getattr(stmt.excluded, c) for c in ("text", "user_name", "last_seen_at", "capture_ref")}),
        list(rows.values()))
    answer_interaction_tests(session, account_id, [r for r in rows.values() if r["by_account"] and r["parent_comment_id"]])


def answer_interaction_tests(session, account_id: int, replies: list[dict[str, Any]]) -> None:
    """An inspector's 评论 test whose comment id is known is answered by the account's reply
    under it, read from the comment section (reply_source "observed")."""
    by_parent = {r["parent_comment_id"]: r for r in replies}
    if not by_parent:
        return
    for test in session.scalars(select(InteractionTest).where(
            InteractionTest.account_id == account_id, InteractionTest.replied_at.is_(None),
            InteractionTest.platform_comment_id.in_(list(by_parent)))):
        r = by_parent[test.platform_comment_id]
        test.replied_at = r["created_at"] or r["first_seen_at"]
        test.reply_text, test.reply_source = r["text"], "observed"


def apply_profile(session, p: ProfileItem) -> None:
    account = session.get(Account, p.account_id)
    if account is None:
        return
    mapping, cut = fit_row(Account.__table__, {
        "observed_name": p.name, "observed_verified": p.verified, "observed_verified_type": p.verified_type,
        "observed_verified_reason": p.verified_reason, "interaction_closed": p.interaction_closed})
    for attr, value in mapping.items():
        if value is not None:
            setattr(account, attr, value)
    if p.facts or cut or CUT_KEY in (account.profile_facts or {}):
        facts = {**(account.profile_facts or {}), **strip_nul(p.facts or {})}
        # What this observation cut; a later full-length value clears the note.
        observed = {k: n for k, n in (facts.get(CUT_KEY) or {}).items() if mapping.get(k) is None}
        facts[CUT_KEY] = {**observed, **cut}
        if not facts[CUT_KEY]:
            facts.pop(CUT_KEY)
        account.profile_facts = facts
    account.profile_observed_at = p.observed_at


def mark_gone(session, account_id: int, seen: set[str], covered_from, observed_at) -> None:
    """Posts inside the span the crawl saw completely but not seen this time have
    disappeared (deleted or hidden): mark them, never delete them."""
    rows = session.execute(
        select(Post.id, Post.platform_post_id).where(
            Post.account_id == account_id, Post.gone_at.is_(None), Post.pinned.is_(False),
            Post.published_at >= covered_from, Post.published_at <= observed_at)
    ).all()
    gone = [pid for pid, ppid in rows if ppid not in seen]
    if gone:
        session.execute(update(Post).where(Post.id.in_(gone)).values(gone_at=observed_at))
