"""What spiders emit. A spider emits an account's posts and profile (inside the
ObservationItem, or as separate items before it) and its ObservationItem last: the pipeline writes them together in one transaction when the
observation arrives, so a crawl killed mid-account leaves no half-written account."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

# Longest post text stored (characters): a whole government article fits many times over; a
# hostile page cannot fill the database. A longer text is cut and the cut noted in details.
TEXT_LIMIT = 100_000


@dataclass
class PostItem:
    account_id: int
    platform_post_id: str
    published_at: Optional[datetime]
    kind: str = "unknown"  # original, repost, unknown
    pinned: bool = False
    title: Optional[str] = None
    text: Optional[str] = None
    # Where ``text`` came from (storage.models.TEXT_SOURCES); None when there is no text.
    text_source: Optional[str] = None
    text_capture: Optional[str] = None  # WARC ref of the answer ``text`` was read from
    url: Optional[str] = None
    time_source: str = "api"  # api, article, feed
    ad_signals: list[Any] = field(default_factory=list)
    state: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class CommentItem:
    """One comment read from a post's comment section (``by_account``: the account's own reply)."""
    platform_post_id: str
    platform_comment_id: str
    text: str
    parent_comment_id: Optional[str] = None
    user_id: Optional[str] = None
    user_name: Optional[str] = None
    by_account: bool = False
    created_at: Optional[datetime] = None
    capture_ref: Optional[str] = None


@dataclass
class ProfileItem:
    """Observed profile facts; None means 'not observed this time' and never overwrites."""
    account_id: int
    observed_at: datetime
    name: Optional[str] = None
    verified: Optional[bool] = None
    verified_type: Optional[str] = None
    verified_reason: Optional[str] = None
    interaction_closed: Optional[bool] = None
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class ObservationItem:
    account_id: int
    platform: str
    kind: str  # profile, timeline, feed, article, aboutbiz, app
    outcome: str  # ok, not_found, blocked, error
    url: Optional[str]
    observed_at: datetime
    http_status: Optional[int] = None
    reason: Optional[str] = None
    covered_from: Optional[datetime] = None
    exhaustive: bool = False
    request_count: int = 0
    capture_ref: Optional[str] = None
    details: dict[str, Any] = field(default_factory=dict)
    # Posts of this account seen in this crawl's covered span; others there are marked gone.
    seen_post_ids: Optional[list[str]] = None
    # The account's posts and profile may ride along in this one item: per-item overhead
    # in Scrapy's item chain is far larger than the work of storing one post.
    posts: list[PostItem] = field(default_factory=list)
    profile: Optional[ProfileItem] = None
    # Comments read tonight from this account's posts (stored with the posts).
    comments: list[CommentItem] = field(default_factory=list)


@dataclass
class ChannelCheck:
    """What one check of one app channel (download URL, landing page, store listing) found."""
    url: Optional[str]
    outcome: str  # ok, fail, not_listed, unknown
    reason: Optional[str] = None
    detail: Optional[str] = None
    final_url: Optional[str] = None
    redirects: list[Any] = field(default_factory=list)
    package: Optional[str] = None
    version_name: Optional[str] = None
    version_code: Optional[int] = None
    min_sdk: Optional[int] = None
    target_sdk: Optional[int] = None
    signature_schemes: list[Any] = field(default_factory=list)
    size: Optional[int] = None
    sha256: Optional[str] = None
    bytes_transferred: Optional[int] = None
    store_version: Optional[str] = None
    store_release_date: Optional[datetime] = None
    ipv6: Optional[str] = None
    capture_ref: Optional[str] = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class AppCheckItem(ChannelCheck):
    account_id: int
    channel: str
    checked_at: datetime


@dataclass
class DiscoverySearchItem:
    """One unit's user search in a discovery pass (spiders/spiders/weibo_search.py)."""
    platform: str
    host_unit: str
    query: str
    outcome: str  # ok, blocked, error
    reason: Optional[str]
    url: Optional[str]
    observed_at: datetime
    http_status: Optional[int] = None
    request_count: int = 0
    pages: int = 0
    partial: Optional[str] = None
    users: list[dict[str, Any]] = field(default_factory=list)
    latest: dict[str, Optional[str]] = field(default_factory=dict)
    capture_ref: Optional[str] = None
