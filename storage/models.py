"""The product's data, as SQLAlchemy 2 typed models.

Flow: spiders write Observation/Post/AppCheck rows; detectors read them and write Finding
rows; the scorer reads findings and writes ScoreCard rows. Run rows record each stage.
Enumerated values are plain strings (checked in code) so another city's registry or a new
platform never needs a schema migration.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import AwareDateTime, utcnow

# Values used across layers. Kept here because storage is the one package all layers share.
PLATFORMS = ("weibo", "wechat", "app", "toutiao", "douyin", "kuaishou", "other")
WECHAT_KINDS = ("服务号", "订阅号", "小程序")
LIFECYCLES = ("开设", "变更", "关停", "注销")
OUTCOMES = ("ok", "not_found", "blocked", "error")
POST_KINDS = ("original", "repost", "unknown")
APP_OUTCOMES = ("ok", "fail", "not_listed", "unknown")
FINDING_STATES = ("auto", "suspected", "confirmed", "dismissed")
# Where a post's stored text came from. A full body is never replaced by a partial one
# (spiders/pipelines.py), and is never fetched again.
FULL_TEXT_SOURCES = ("card", "extend", "js_content", "share")  # whole Weibo card, statuses/extend,
# the article's #js_content, a 图片/文本分享's own text
PARTIAL_TEXT_SOURCES = ("card_truncated", "feed")  # a Weibo card cut at 全文, a feed's description
TEXT_SOURCES = FULL_TEXT_SOURCES + PARTIAL_TEXT_SOURCES
VERDICTS = ("合格", "不合格", "未能核验")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: AwareDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Account(Base):
    """One row of the Annex 1 registry, plus the profile facts the crawls observed."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "platform_id", name="uq_account_platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(20), index=True)
    wechat_kind: Mapped[Optional[str]] = mapped_column(String(10))
    host_unit: Mapped[str] = mapped_column(String(200), index=True)
    district: Mapped[Optional[str]] = mapped_column(String(100), index=True)
    platform_id: Mapped[str] = mapped_column(String(200))
    profile_url: Mapped[Optional[str]] = mapped_column(String(1000))
    feed_url: Mapped[Optional[str]] = mapped_column(String(1000))
    download_url: Mapped[Optional[str]] = mapped_column(String(1000))
    store_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opened_on: Mapped[Optional[date]] = mapped_column(Date)
    registered_verified: Mapped[Optional[bool]] = mapped_column(Boolean)
    # Annex 1 optional 认证信息: the 认证主体 an operator read in the WeChat client, used when
    # the 关于公众号 page cannot be fetched.
    registered_verification: Mapped[Optional[str]] = mapped_column(Text)
    intro: Mapped[Optional[str]] = mapped_column(Text)
    lifecycle: Mapped[str] = mapped_column(String(10), default="开设")
    stop_notice_on: Mapped[Optional[date]] = mapped_column(Date)
    leader: Mapped[Optional[str]] = mapped_column(String(200))
    department_head: Mapped[Optional[str]] = mapped_column(String(200))
    manager: Mapped[Optional[str]] = mapped_column(String(200))
    manager_phone: Mapped[Optional[str]] = mapped_column(String(50))
    manager_email: Mapped[Optional[str]] = mapped_column(String(200))

    # Observed profile facts (None = never observed; see Observation for each fetch).
    observed_name: Mapped[Optional[str]] = mapped_column(String(200))
    observed_verified: Mapped[Optional[bool]] = mapped_column(Boolean)
    observed_verified_type: Mapped[Optional[str]] = mapped_column(String(50))
    observed_verified_reason: Mapped[Optional[str]] = mapped_column(String(500))
    interaction_closed: Mapped[Optional[bool]] = mapped_column(Boolean)
    profile_facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    profile_observed_at: Mapped[Optional[datetime]] = mapped_column()

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    posts: Mapped[list["Post"]] = relationship(back_populates="account")

    @property
    def active(self) -> bool:
        return self.lifecycle != "注销"


class Run(Base):
    """A nightly cycle (kind ``cycle``) or one of its stages (``crawl``, ``detect`` …)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("runs.id"))
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[Optional[str]] = mapped_column(Text)


class Observation(Base):
    """One fetch and its typed outcome. Findings may rest only on ``ok`` observations.

    ``covered_from``/``observed_at`` bound the time span a successful timeline or feed crawl
    saw completely; ``exhaustive`` means the crawl reached the account's oldest post, so
    empty weeks before ``covered_from`` are proven empty too.
    """

    __tablename__ = "observations"
    __table_args__ = (Index("ix_obs_account_kind_time", "account_id", "kind", "observed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("runs.id"))
    platform: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))  # profile, timeline, feed, article, aboutbiz …
    outcome: Mapped[str] = mapped_column(String(20))
    url: Mapped[Optional[str]] = mapped_column(String(2000))
    observed_at: Mapped[datetime] = mapped_column()
    http_status: Mapped[Optional[int]] = mapped_column(Integer)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    covered_from: Mapped[Optional[datetime]] = mapped_column()
    exhaustive: Mapped[bool] = mapped_column(Boolean, default=False)
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    capture_ref: Mapped[Optional[str]] = mapped_column(String(500))  # WARC file#offset
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Post(Base):
    """A post or article, upserted by (account, platform post id)."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("account_id", "platform_post_id", name="uq_post_account_ppid"),
        Index("ix_post_account_published", "account_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform_post_id: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[Optional[datetime]] = mapped_column()
    time_source: Mapped[str] = mapped_column(String(20), default="api")  # api, article, feed
    kind: Mapped[str] = mapped_column(String(10), default="unknown")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[Optional[str]] = mapped_column(String(500))
    text: Mapped[Optional[str]] = mapped_column(Text)
    text_source: Mapped[Optional[str]] = mapped_column(String(20))  # one of TEXT_SOURCES
    # SHA-256 of title and text as stored (storage.texts.text_sha): the text check runs again
    # only when this changes.
    text_sha: Mapped[Optional[str]] = mapped_column(String(64))
    # The WARC record (file#offset) of the answer the text was read from: the evidence of what
    # the post said when it was fetched.
    text_capture: Mapped[Optional[str]] = mapped_column(String(500))
    url: Mapped[Optional[str]] = mapped_column(String(2000))
    ad_signals: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(30), default="ok")  # ok, deleted, violation …
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    gone_at: Mapped[Optional[datetime]] = mapped_column()

    account: Mapped[Account] = relationship(back_populates="posts")


class TextCheck(Base):
    """The text check of one post: which text (``text_sha``) was checked with which word
    lists (``version``), and the hits (``monitor.textcheck.Hit.as_dict()`` plus the field).
    Detection turns the hits of the check period's posts into suspected findings."""

    __tablename__ = "text_checks"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    text_sha: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column()
    hit_count: Mapped[int] = mapped_column(Integer, default=0, index=True)
    hits: Mapped[list[Any]] = mapped_column(default=list)


class AppCheck(Base):
    """One check of one channel of an app: the download URL or a store listing."""

    __tablename__ = "app_checks"
    __table_args__ = (Index("ix_appcheck_account_time", "account_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("runs.id"))
    channel: Mapped[str] = mapped_column(String(30))  # download, landing, apple, yyb, huawei …
    url: Mapped[Optional[str]] = mapped_column(String(2000))
    checked_at: Mapped[datetime] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[Optional[str]] = mapped_column(String(100))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    final_url: Mapped[Optional[str]] = mapped_column(String(2000))
    redirects: Mapped[list[Any]] = mapped_column(default=list)
    package: Mapped[Optional[str]] = mapped_column(String(200))
    version_name: Mapped[Optional[str]] = mapped_column(String(100))
    version_code: Mapped[Optional[int]] = mapped_column(BigInteger)
    min_sdk: Mapped[Optional[int]] = mapped_column(Integer)
    target_sdk: Mapped[Optional[int]] = mapped_column(Integer)
    signature_schemes: Mapped[list[Any]] = mapped_column(default=list)
    size: Mapped[Optional[int]] = mapped_column(BigInteger)
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    bytes_transferred: Mapped[Optional[int]] = mapped_column(BigInteger)
    store_version: Mapped[Optional[str]] = mapped_column(String(100))
    store_release_date: Mapped[Optional[datetime]] = mapped_column()
    ipv6: Mapped[Optional[str]] = mapped_column(String(20))  # supported/not_supported/cannot_test
    capture_ref: Mapped[Optional[str]] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Finding(Base):
    """A rule hit for one account at monitoring time point T.

    ``case_key`` tells cases of one rule apart (e.g. the week start for
    ``ded.untimely_update``), so re-running detection for the same T updates, never
    duplicates, and a reviewer's decision survives.
    """

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("account_id", "rule", "at", "case_key", name="uq_finding_case"),
        Index("ix_finding_at_rule", "at", "rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column()
    case_key: Mapped[str] = mapped_column(String(100), default="")
    window_start: Mapped[Optional[datetime]] = mapped_column()
    window_end: Mapped[Optional[datetime]] = mapped_column()
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    state: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default="detector")  # detector, manual
    reviewer: Mapped[Optional[str]] = mapped_column(String(100))
    review_note: Mapped[Optional[str]] = mapped_column(Text)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column()
    evidence_id: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship()


class ScoreCard(Base):
    __tablename__ = "score_cards"
    __table_args__ = (UniqueConstraint("account_id", "at", name="uq_scorecard_account_at"),
                      # The workspace's counts and 90-night trend read cards by night and verdict.
                      Index("ix_scorecard_at_verdict", "at", "verdict"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column()
    period_start: Mapped[datetime] = mapped_column()
    period_end: Mapped[datetime] = mapped_column()
    verdict: Mapped[str] = mapped_column(String(10))
    score: Mapped[Optional[int]] = mapped_column(Integer)
    vetoes: Mapped[list[Any]] = mapped_column(default=list)
    deductions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pending: Mapped[list[Any]] = mapped_column(default=list)
    finding_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()


class NightSummary(Base):
    """How many accounts got each verdict at T: the workspace's 90-night trend reads these three
    rows a night instead of every account's card of 90 nights. Rewritten whenever T's cards are
    stored. (A unit user's trend reads its own few accounts' cards.)"""
    __tablename__ = "night_summaries"
    __table_args__ = (UniqueConstraint("at", "verdict", name="uq_night_summary"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column()
    verdict: Mapped[str] = mapped_column(String(10))
    accounts: Mapped[int] = mapped_column(Integer)


class EvidencePackage(Base):
    """A write-once evidence folder, named by the SHA-256 of its manifest."""

    __tablename__ = "evidence_packages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    finding_id: Mapped[Optional[int]] = mapped_column(ForeignKey("findings.id"))
    path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[Optional[str]] = mapped_column(Text)


class Alert(Base):
    """One message to one recipient; ``dedupe_key`` makes each (finding, stage) send once."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    stage: Mapped[str] = mapped_column(String(30))
    finding_id: Mapped[Optional[int]] = mapped_column(ForeignKey("findings.id"))
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    target: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column()


USER_ROLES = ("admin", "inspector", "unit")


class User(Base):
    """A person who signs in to the web workspace. ``unit`` users see only the accounts
    whose 主办单位 equals their ``unit``."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    unit: Mapped[Optional[str]] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Consecutive failed logins, and when the last one happened (for the slow-down).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[Optional[datetime]] = mapped_column()
    last_login_at: Mapped[Optional[datetime]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One change made through the web: who, when, from which address, what changed."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_finding", "finding_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_name: Mapped[str] = mapped_column(String(100))
    address: Mapped[Optional[str]] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))  # review, registry_import, login …
    finding_id: Mapped[Optional[int]] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"))
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field → [before, after]
    note: Mapped[Optional[str]] = mapped_column(Text)


# Rectification orders (整改单): 待整改 → 已回复 → 已复核通过 / 复核未通过 (reopened); 逾期 is
# read from the deadline (an open order past it), never stored, so no nightly job can miss it.
ORDER_STATES = ("pending", "replied", "passed", "reopened")


class Tongbao(Base):
    """A 通报 as issued: what it cited is frozen in ``content`` (accounts, findings, their
    evidence ids), so later re-detection or review never changes what was notified."""

    __tablename__ = "tongbao"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(40))  # 2026Q4, 2026-11, 2026-10-01..2026-12-31
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column()
    issued_by: Mapped[str] = mapped_column(String(100))
    doc_number: Mapped[str] = mapped_column(String(100))  # placeholder until the office numbers it
    deadline_days: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)

    orders: Mapped[list["RectificationOrder"]] = relationship(back_populates="tongbao", order_by="RectificationOrder.id")


class RectificationOrder(Base):
    """One account's 整改 after a 通报: the findings cited (frozen), the deadline, the state."""

    __tablename__ = "rectification_orders"
    __table_args__ = (UniqueConstraint("tongbao_id", "account_id", name="uq_order_tongbao_account"),
                      Index("ix_order_state_deadline", "state", "deadline"))

    id: Mapped[int] = mapped_column(primary_key=True)
    tongbao_id: Mapped[int] = mapped_column(ForeignKey("tongbao.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    findings: Mapped[list[Any]] = mapped_column(default=list)  # frozen: id, rule, state, evidence_id, facts
    closed_at: Mapped[Optional[datetime]] = mapped_column()
    closed_by: Mapped[Optional[str]] = mapped_column(String(100))
    # The latest re-check: when, by whom, its outcome (passed/reopened/unverifiable) and why.
    last_recheck: Mapped[dict[str, Any]] = mapped_column(default=dict)
    history: Mapped[list[Any]] = mapped_column(default=list)  # [{at, who, action, state, note}]

    tongbao: Mapped[Tongbao] = relationship(back_populates="orders")
    account: Mapped[Account] = relationship()
    replies: Mapped[list["OrderReply"]] = relationship(back_populates="order", order_by="OrderReply.id")


class OrderReply(Base):
    """The unit's reply to an order: text and checked attachments, each stored by SHA-256."""

    __tablename__ = "order_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("rectification_orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column()
    user_name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(default=list)  # [{name, type, size, sha256}]

    order: Mapped[RectificationOrder] = relationship(back_populates="replies")


CANDIDATE_STATES = ("open", "registered", "dismissed")


class DiscoverySearch(Base):
    """One platform user search for one registered 主办单位 in a discovery pass (issue 23).

    Like an Observation, only an ``ok`` search is evidence: a unit whose search was refused is
    未能核验 for that pass, never "no unregistered accounts". ``users`` holds what the search
    listed (the fields the matcher needs), ``latest`` the latest post time of those whose
    timeline was read (uid → ISO time).
    """

    __tablename__ = "discovery_searches"
    __table_args__ = (Index("ix_discovery_search_run", "run_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("runs.id"))
    platform: Mapped[str] = mapped_column(String(20))
    host_unit: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))  # ok, blocked, error
    reason: Mapped[Optional[str]] = mapped_column(Text)
    url: Mapped[Optional[str]] = mapped_column(String(2000))
    http_status: Mapped[Optional[int]] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column()
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    partial: Mapped[Optional[str]] = mapped_column(Text)  # a later page refused after page 1
    users: Mapped[list[Any]] = mapped_column(default=list)
    latest: Mapped[dict[str, Any]] = mapped_column(default=dict)
    capture_ref: Mapped[Optional[str]] = mapped_column(String(500))


class DiscoveryCandidate(Base):
    """An account a platform search found that names a registered unit but is not in the
    registry: to be registered (it becomes an Account of that unit) or dismissed (remembered,
    never listed again). ``kind`` tells an organisation-verified account of the unit
    (``unregistered``, Annex 3 监管范围) from one that only carries its name (``impostor``)."""

    __tablename__ = "discovery_candidates"
    __table_args__ = (UniqueConstraint("platform", "platform_id", name="uq_candidate_platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    platform_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    profile_url: Mapped[Optional[str]] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(20))  # unregistered, impostor
    matched_unit: Mapped[str] = mapped_column(String(200), index=True)
    match_basis: Mapped[str] = mapped_column(String(20))  # verification, name
    verified: Mapped[Optional[bool]] = mapped_column(Boolean)
    verified_type: Mapped[Optional[int]] = mapped_column(Integer)
    verification_text: Mapped[Optional[str]] = mapped_column(String(500))
    description: Mapped[Optional[str]] = mapped_column(Text)
    followers_count: Mapped[Optional[int]] = mapped_column(BigInteger)
    statuses_count: Mapped[Optional[int]] = mapped_column(Integer)
    latest_post_at: Mapped[Optional[datetime]] = mapped_column()
    first_seen_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    last_run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("runs.id"))
    state: Mapped[str] = mapped_column(String(20), default="open")
    decided_by: Mapped[Optional[str]] = mapped_column(String(100))
    decided_at: Mapped[Optional[datetime]] = mapped_column()
    decision_note: Mapped[Optional[str]] = mapped_column(Text)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))


INTERACTION_CHANNELS = ("私信", "留言", "评论")


class Comment(Base):
    """One comment (or reply) read from a post's comment section. ``by_account``: written by
    the account itself — its reply to the public. Upserted by (post, platform comment id)."""

    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("post_id", "platform_comment_id", name="uq_comment_post_pcid"),
                      Index("ix_comment_account_seen", "account_id", "first_seen_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    platform_comment_id: Mapped[str] = mapped_column(String(200))
    parent_comment_id: Mapped[Optional[str]] = mapped_column(String(200))  # None: top level
    user_id: Mapped[Optional[str]] = mapped_column(String(200))
    user_name: Mapped[Optional[str]] = mapped_column(String(200))
    by_account: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[Optional[datetime]] = mapped_column()
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    capture_ref: Mapped[Optional[str]] = mapped_column(String(500))  # WARC file#offset


class InteractionTest(Base):
    """A test message an inspector sent to an account (私信/留言/评论) and its reply, if any.
    Past ``deadline`` without a reply it becomes a suspected veto.no_interaction."""

    __tablename__ = "interaction_tests"
    __table_args__ = (Index("ix_interaction_account_sent", "account_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))  # INTERACTION_CHANNELS
    sent_at: Mapped[datetime] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)  # last day a reply is in time (inclusive)
    recorded_by: Mapped[Optional[str]] = mapped_column(String(100))
    # The inspector's own comment id, where the product can look for a reply under it.
    platform_comment_id: Mapped[Optional[str]] = mapped_column(String(200))
    replied_at: Mapped[Optional[datetime]] = mapped_column()
    reply_text: Mapped[Optional[str]] = mapped_column(Text)
    reply_source: Mapped[Optional[str]] = mapped_column(String(20))  # inspector, observed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
