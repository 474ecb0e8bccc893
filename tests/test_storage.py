"""Storage behaviour every stage relies on, on SQLite and on the real PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from spiders.items import PostItem
from spiders.pipelines import upsert_posts
from storage.db import make_engine, session_scope
from storage.models import Account, Observation, Post
from tests.fixtures.core import T, TZ


def _account(s, platform_id="1000000001") -> Account:
    acc = Account(name="南通发布", platform="weibo", host_unit="南通市人民政府新闻办公室",
                  platform_id=platform_id)
    s.add(acc)
    s.flush()
    return acc


def _head(db_url: str) -> str:
    """The one head of the migration scripts (several engineers add migrations)."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config(db_url)).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def test_init_twice_is_harmless_and_keeps_data(run_cli, db_url):
    env = {"MONITOR_DATABASE_URL": db_url}
    assert run_cli("init", env=env).exit_code == 0
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        _account(s)
    r = run_cli("init", env=env)
    assert r.exit_code == 0, r.stderr
    assert "database ready" in r.stdout
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [_head(db_url)]
        assert c.execute(select(func.count()).select_from(Account)).scalar() == 1
    assert {"accounts", "posts", "observations", "findings", "score_cards", "runs"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_post_upsert_is_idempotent_by_account_and_platform_post_id(db_url):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        acc_id = _account(s).id
    published = datetime(2026, 11, 20, 9, 30, tzinfo=TZ)
    first_night, second_night = T - timedelta(days=1), T

    def crawl(seen_at, text_):
        items = [PostItem(acc_id, "P1", published, kind="original", text=text_),
                 PostItem(acc_id, "P2", published - timedelta(days=3), kind="repost"),
                 # the pinned copy of P2 in the same crawl: still one row, pinned kept
                 PostItem(acc_id, "P2", published - timedelta(days=3), kind="repost", pinned=True)]
        with session_scope(engine) as s:
            upsert_posts(s, items, seen_at)

    crawl(first_night, "第一次")
    crawl(second_night, "第二次（已编辑）")
    with session_scope(engine) as s:
        posts = {p.platform_post_id: p for p in s.scalars(select(Post).where(Post.account_id == acc_id))}
    assert sorted(posts) == ["P1", "P2"]
    assert posts["P1"].text == "第二次（已编辑）"
    assert posts["P1"].first_seen_at == first_night and posts["P1"].last_seen_at == second_night
    assert posts["P2"].pinned is True
    engine.dispose()


def test_same_platform_account_cannot_be_registered_twice(db_url):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        _account(s)
    with pytest.raises(IntegrityError):
        with session_scope(engine) as s:
            _account(s)
    engine.dispose()


def test_naive_datetime_is_refused(db_url):
    engine = make_engine(db_url)
    with pytest.raises(StatementError, match="naive datetime"):
        with session_scope(engine) as s:
            acc = _account(s)
            s.add(Observation(account_id=acc.id, platform="weibo", kind="timeline", outcome="ok",
                              url="https://m.weibo.cn", observed_at=datetime(2026, 11, 25, 2, 0)))
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Observation)) == 0
    engine.dispose()


def test_timezone_round_trip_returns_the_same_instant(db_url):
    engine = make_engine(db_url)
    beijing_2am = T  # 2026-11-25 02:00 +08:00, i.e. 2026-11-24 18:00 UTC: the date differs
    with session_scope(engine) as s:
        acc = _account(s)
        s.add(Observation(account_id=acc.id, platform="weibo", kind="timeline", outcome="ok",
                          url="https://m.weibo.cn", observed_at=beijing_2am,
                          covered_from=beijing_2am - timedelta(days=35)))
    with session_scope(engine) as s:
        obs = s.scalars(select(Observation)).one()
        assert obs.observed_at == beijing_2am
        assert obs.observed_at.utcoffset() is not None
        assert obs.observed_at.astimezone(TZ).date().isoformat() == "2026-11-25"
        # Range queries compare instants, not wall-clock text.
        hit = s.scalar(select(func.count()).select_from(Observation).where(
            Observation.observed_at > datetime(2026, 11, 24, 17, 59, tzinfo=timezone.utc)))
        miss = s.scalar(select(func.count()).select_from(Observation).where(
            Observation.observed_at > datetime(2026, 11, 25, 1, 59, tzinfo=TZ) + timedelta(minutes=2)))
        assert (hit, miss) == (1, 0)
    engine.dispose()


def test_default_database_is_sqlite_under_var(run_cli, tmp_path):
    r = run_cli("init")  # run_cli works in tmp_path with no config and no MONITOR_* variables
    assert r.exit_code == 0, r.stderr
    assert "sqlite:///var/monitor.db" in r.stdout
    assert (tmp_path / "var" / "monitor.db").is_file()
