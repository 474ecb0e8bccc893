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
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, String, Table, and_, any_, bindparam, case, func, literal_column, null, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from spiders.items import TEXT_LIMIT, AppCheckItem, CommentItem, ObservationItem, PostItem, ProfileItem
from spiders.writer import BackgroundWriter, resolved, writer_for
from storage.bulk import executemany
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
        insert_rows(s, Observation.__table__, [_observation_row(self.run_id, obs)])
        if posts:
            upsert_posts(s, posts, obs.observed_at)
        if obs.comments:
            upsert_comments(s, obs.account_id, obs.comments, obs.observed_at)
        if profile is not None:
            apply_profile(s, profile)
        if app_checks:
            insert_rows(s, AppCheck.__table__, [{"run_id": self.run_id, **fit_with_note(AppCheck.__table__, _values(c))}
                                                for c in app_checks])
        seen = obs.seen_post_ids
        if obs.outcome == "ok" and seen is not None and obs.covered_from is not None:
            mark_gone(s, obs.account_id, seen, obs.covered_from, obs.observed_at)

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
                insert_rows(s, Observation.__table__,
                            [{"run_id": self.run_id, **fit_with_note(Observation.__table__, failed)}])
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
    fields = item.__dict__
    values = {name: fields[name] for name in _field_names(type(item))}
    for name, value in values.items():
        if value.__class__ not in _NOT_REFS:
            values[name] = resolved(value)
    return values


# Field types that are never a pending reference (most of an item's fields): not asked.
_NOT_REFS = frozenset({str, int, bool, float, type(None), dict, list, datetime})


def _observation_values(obs: ObservationItem) -> dict[str, Any]:
    values = _values(obs)
    for name in ("seen_post_ids", "posts", "profile", "comments"):
        values.pop(name, None)
    return values


def _observation_row(run_id: int | None, obs: ObservationItem) -> dict[str, Any]:
    return {"run_id": run_id, **fit_with_note(Observation.__table__, _observation_values(obs))}


# The writes below are Core statements built once and run on the session's connection (the
# rows of a table in one executemany, storage.bulk): the ORM's unit of work (identity map,
# flush, per-object history) cost several times the SQL.

@lru_cache(maxsize=None)
def _plain_insert(table: Table):
    return table.insert()


def insert_rows(session, table: Table, rows: list[dict[str, Any]]) -> None:
    """New rows (all with the same keys) in one executemany."""
    executemany(_connection(session), _plain_insert(table), rows)


def _connection(session):
    """The session's connection, once what the session holds is written (as its own execute
    would autoflush: a caller may have added the account the rows belong to)."""
    if session.autoflush:
        session.flush()
    return session.connection()


def _dialect(session) -> str:
    return session.get_bind().dialect.name


def upsert_posts(session, posts: list[PostItem], seen_at) -> None:
    # One post id may appear twice in one crawl (pinned and in the timeline): keep the last.
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for p in posts:
        values = _values(p)
        if values["text"] and len(values["text"]) > TEXT_LIMIT:
            cut = {**(values["details"].get(CUT_KEY) or {}), "text": len(values["text"])}
            values.update(text=values["text"][:TEXT_LIMIT], details={**values["details"], CUT_KEY: cut})
        row = fit_with_note(_POSTS, values)
        row.update(first_seen_at=seen_at, last_seen_at=seen_at, gone_at=None,
                   text_sha=text_sha(row["title"], row["text"]))
        key = (p.account_id, p.platform_post_id)
        prev = rows.get(key)
        if prev is not None:
            row["pinned"] = row["pinned"] or prev["pinned"]
        rows[key] = row
    # Rows in a stable key order: the statement is then compiled once and cached, and the
    # driver gets one executemany (a multi-VALUES statement per batch would be recompiled
    # for every different row count).
    executemany(_connection(session), _upsert_statement(_dialect(session)), list(rows.values()))


_POSTS = Post.__table__
_COMMENTS = Comment.__table__
_ACCOUNTS = Account.__table__


def _insert(dialect: str):
    # The dialect modules are imported when first needed: the crawl child never writes, and
    # PostgreSQL's alone took ~0.25 s of every crawl and writer process's start (issue 24).
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


@lru_cache(maxsize=4)
def _upsert_statement(dialect: str):
    stmt = _insert(dialect)(_POSTS)
    new, old = stmt.excluded, _POSTS.c
    # Constants inline: an IN list would be an "expanding" parameter, which executemany refuses.
    full = lambda col: or_(*(col == literal_column(f"'{v}'") for v in FULL_TEXT_SOURCES))  # noqa: E731
    weaker = or_(and_(full(old.text_source), or_(new.text_source.is_(None), ~full(new.text_source))),
                 and_(old.text_source.is_not(None), new.text_source.is_(None)))
    return stmt.on_conflict_do_update(
        index_elements=["account_id", "platform_post_id"],
        set_={**{c: getattr(new, c) for c in _POST_UPDATABLE},
              **{c: case((weaker, old[c]), else_=new[c]) for c in _POST_BODY}, "gone_at": null()},
    )


@lru_cache(maxsize=4)
def _comment_upsert_statement(dialect: str):
    stmt = _insert(dialect)(_COMMENTS)
    return stmt.on_conflict_do_update(
        index_elements=["post_id", "platform_comment_id"],
        set_={c: getattr(stmt.excluded, c) for c in ("text", "user_name", "last_seen_at", "capture_ref")})


def _among(col, name: str, dialect: str):
    """``col IN`` a list of strings given as ONE parameter: an expanding IN list is rendered
    anew on every execution (PostgreSQL's with a cast per element), which cost more than the
    query."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return col == any_(bindparam(name, type_=ARRAY(String)))
    return col.in_(select(func.json_each(bindparam(name, type_=JSON)).table_valued("value").c.value))


@lru_cache(maxsize=4)
def _post_ids_statement(dialect: str):
    return select(_POSTS.c.platform_post_id, _POSTS.c.id).where(
        _POSTS.c.account_id == bindparam("account_id"), _among(_POSTS.c.platform_post_id, "ppids", dialect))


def upsert_comments(session, account_id: int, comments: list[CommentItem], seen_at) -> None:
    """Comments by (post, comment id); a comment seen again keeps its first_seen_at."""
    ppids = list({c.platform_post_id for c in comments})
    post_ids = dict(_connection(session).execute(_post_ids_statement(_dialect(session)),
                                                 {"account_id": account_id, "ppids": ppids}).all())
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for c in comments:
        post_id = post_ids.get(c.platform_post_id)
        if post_id is None:
            continue
        values = _values(c)
        del values["platform_post_id"]
        row, _ = fit_row(_COMMENTS, values)
        row.update(account_id=account_id, post_id=post_id, first_seen_at=seen_at, last_seen_at=seen_at)
        rows[(post_id, c.platform_comment_id)] = row
    if not rows:
        return
    executemany(_connection(session), _comment_upsert_statement(_dialect(session)), list(rows.values()))
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


# Observed profile columns (ProfileItem field → Account column); None never overwrites.
_PROFILE_COLUMNS = {"name": "observed_name", "verified": "observed_verified", "verified_type": "observed_verified_type",
                    "verified_reason": "observed_verified_reason", "interaction_closed": "interaction_closed"}
_PROFILE_STORED = (*_PROFILE_COLUMNS.values(), "profile_facts", "profile_observed_at")
_PROFILE_READ = select(*(_ACCOUNTS.c[c] for c in _PROFILE_STORED)).where(_ACCOUNTS.c.id == bindparam("account_id"))
_PROFILE_WRITE = update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("account_id"))


def apply_profile(session, p: ProfileItem) -> None:
    conn = _connection(session)
    stored = conn.execute(_PROFILE_READ, {"account_id": p.account_id}).first()
    if stored is None:
        return
    stored = stored._asdict()
    mapping, cut = fit_row(_ACCOUNTS, {col: getattr(p, attr) for attr, col in _PROFILE_COLUMNS.items()})
    new = {**stored, **{col: value for col, value in mapping.items() if value is not None}}
    if p.facts or cut or CUT_KEY in (stored["profile_facts"] or {}):
        facts = {**(stored["profile_facts"] or {}), **strip_nul(p.facts or {})}
        # What this observation cut; a later full-length value clears the note.
        observed = {k: n for k, n in (facts.get(CUT_KEY) or {}).items() if mapping.get(k) is None}
        facts[CUT_KEY] = {**observed, **cut}
        if not facts[CUT_KEY]:
            facts.pop(CUT_KEY)
        new["profile_facts"] = facts
    new["profile_observed_at"] = p.observed_at
    # Written only when something changed, as the ORM did: updated_at says when it last did.
    if new != stored:
        conn.execute(_PROFILE_WRITE, {"account_id": p.account_id, **new})


@lru_cache(maxsize=4)
def _mark_gone_statement(dialect: str):
    c = _POSTS.c
    return update(_POSTS).where(
        c.account_id == bindparam("acc"), c.gone_at.is_(None), c.pinned.is_(False),
        c.published_at >= bindparam("covered_from", type_=c.published_at.type),
        c.published_at <= bindparam("observed_at", type_=c.published_at.type),
        ~_among(c.platform_post_id, "seen", dialect)).values(gone_at=bindparam("observed_at"))


def mark_gone(session, account_id: int, seen, covered_from, observed_at) -> None:
    """Posts inside the span the crawl saw completely but not seen this time have
    disappeared (deleted or hidden): mark them, never delete them."""
    _connection(session).execute(_mark_gone_statement(_dialect(session)), {
        "acc": account_id, "seen": list(set(seen)), "covered_from": covered_from, "observed_at": observed_at})
