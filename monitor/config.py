"""The one config file (``monitor.toml``), with every key overridable from the environment.

Path: ``--config`` or ``MONITOR_CONFIG``; when neither is given, ``./monitor.toml`` if it
exists, else the built-in defaults. Environment variables are ``MONITOR_`` + the key path
joined by ``__``: ``MONITOR_DATABASE_URL``, ``MONITOR_CRAWL__DELAY``,
``MONITOR_PLATFORMS__WEIBO__BASE_URL``. Unknown keys are refused so that a typo never
silently falls back to a default.
"""
from __future__ import annotations

import os
import re
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """A config problem, worded for the operator (the CLI prints it and exits 2)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WeiboPlatform(_Section):
    base_url: str = "https://m.weibo.cn"
    # Operator-supplied visitor/login cookies ("SUB=...; SUBP=..."); optional, masked.
    cookies: SecretStr | None = None
    cookie_cooldown: float = 300.0  # seconds between browser launches for visitor cookies
    profile_refresh_days: int = 7
    backoff_418: float = 2.5  # seconds before retrying a 418 ("slow down"), doubling each time
    max_pages: int = 30  # timeline pages per account per night at most
    search_pages: int = 1  # user-search pages per unit in a discovery pass (visitors see page 1)


class FeedService(_Section):
    """A 订阅源 service (wewe-rss, we-mp-rss, RSSHub …) and how its freshness is checked."""

    # Feeds whose URL starts with this belong to the service.
    url_prefix: str
    kind: Literal["wewe-rss", "we-mp-rss", "rsshub", "other"] = "other"
    # A feed of an account known to publish daily: when its newest item is older than
    # max_age, no feed of this service proves anything that night.
    canary: str = ""
    max_age: str = ""  # e.g. "36h"; empty = [platforms.wechat] feed_sync_max_age
    # wewe-rss only: request each feed with ?update=true (the service then syncs it).
    refresh: bool = False

    @field_validator("max_age")
    @classmethod
    def _age(cls, v: str) -> str:
        if v:
            parse_duration(v)
        return v


class WechatPlatform(_Section):
    base_url: str = "https://mp.weixin.qq.com"
    # Feed kinds whose item dates are real publish times (used only when the article page
    # cannot be fetched). Aggregators that stamp crawl times must not be listed.
    trusted_feed_kinds: list[str] = Field(default_factory=lambda: ["wewe-rss", "we-mp-rss"])
    aboutbiz_refresh_days: float = 7.0  # 认证主体 changes rarely: re-read it weekly
    # A feed whose service last synced longer ago than this proves nothing (wewe-rss syncs
    # twice a day; it loses its WeRead login every half day to a day).
    feed_sync_max_age: str = "36h"
    feed_services: list[FeedService] = Field(default_factory=list)
    # WeChat-client credentials for /mp/aboutbiz (captured from a logged-in client); without
    # them WeChat answers an error page and 认证主体 comes from the registry's 认证信息.
    client_uin: SecretStr | None = None
    client_key: SecretStr | None = None
    client_user_agent: str = ""

    @field_validator("feed_sync_max_age")
    @classmethod
    def _max_age(cls, v: str) -> str:
        parse_duration(v)
        return v


class VideoPlatform(_Section):
    """今日头条, 抖音 or 快手 (docs/research/short_video_platforms.md): the public profile pages
    at ``base_url`` and, for the feed way in, the RSSHub the operator runs."""

    base_url: str = ""
    # How accounts without a 订阅源 in the registry are observed: ``feed`` (the RSSHub route
    # under ``rsshub_url``), ``browser`` (Chromium opens the profile page and reads the JSON
    # the page loads) or ``none`` (not observed: every account 未能核验). A registered
    # 订阅源 is always read as a feed; ``feed`` without ``rsshub_url`` reads only those.
    way: Literal["feed", "browser", "none"] = "feed"
    rsshub_url: str = ""
    # A feed (on the same RSSHub) of an account known to post daily: when its newest item is
    # older than ``max_age``, no feed of this RSSHub proves silence that night.
    canary: str = ""
    max_age: str = "36h"
    browser_timeout: float = 30.0  # seconds for one profile page and the JSON it loads

    @field_validator("max_age")
    @classmethod
    def _age(cls, v: str) -> str:
        parse_duration(v)
        return v


class ToutiaoPlatform(VideoPlatform):
    base_url: str = "https://www.toutiao.com"


class DouyinPlatform(VideoPlatform):
    base_url: str = "https://www.douyin.com"


class KuaishouPlatform(VideoPlatform):
    base_url: str = "https://www.kuaishou.com"


class ApplePlatform(_Section):
    lookup_url: str = "https://itunes.apple.com/lookup"


class StorePlatform(_Section):
    url: str = ""


class YybPlatform(StorePlatform):
    fallback_url: str = ""  # asked when ``url`` gives no usable answer: the old JSON API


class Platforms(_Section):
    weibo: WeiboPlatform = WeiboPlatform()
    wechat: WechatPlatform = WechatPlatform()
    toutiao: ToutiaoPlatform = ToutiaoPlatform()
    douyin: DouyinPlatform = DouyinPlatform()
    kuaishou: KuaishouPlatform = KuaishouPlatform()
    apple: ApplePlatform = ApplePlatform()
    # The endpoints maintained clients use in 2026 (research/platforms_2026.md, App stores).
    yyb: YybPlatform = YybPlatform(url="https://a.app.qq.com/o/simple.jsp",
                                   fallback_url="https://upage.html5.qq.com/wechat-apkinfo")
    huawei: StorePlatform = StorePlatform(url="https://web-drcn.hispace.dbankcloud.com/edge")
    xiaomi: StorePlatform = StorePlatform(url="https://app.mi.com/details")
    vivo: StorePlatform = StorePlatform(url="https://h5-api.appstore.vivo.com.cn/detail")


class Crawl(_Section):
    delay: float = 1.0
    concurrency: int = 8
    timeout: float = 30.0
    retries: int = 2
    obey_robots: bool = False
    autothrottle: bool = True
    check_weeks: int = 5
    child_timeout: float = 3 * 3600.0
    child_memory_mb: int = 2048
    # Where WARC records and rows are written (spiders/writer.py): a writer process beside
    # each crawl child (another core), a thread in the child, or inline on the event loop.
    writer: Literal["thread", "process", "inline"] = "process"
    # Crawl children side by side, the spiders split over them (one reactor is one core);
    # 0: one per core, at most 4.
    processes: int = Field(default=0, ge=0)
    redis_url: str = ""
    # Distributed mode (only used when redis_url is set): see README "Scale-out".
    redis_prefix: str = "monitor"         # all Redis keys start with it (one per deployment)
    redis_key_ttl: str = "2d"             # a run's keys vanish this long after their last refresh
    redis_patience: float = 60.0          # seconds a Redis outage is ridden out before giving up
    heartbeat_ttl: int = 30               # a worker silent this long is dead: its accounts are re-queued
    max_attempts: int = 3                 # times one account is handed out in one run
    workers: int = Field(default=1, ge=1)  # crawling machines, each its own egress: the night's budget scales with them
    user_agent: str = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Mobile Safari/537.36"
    )
    unverifiable_alert_nights: int = 3
    # Outbound policy: URLs from the registry, feeds and redirects may reach public addresses
    # only; these networks are exempt (e.g. ["127.0.0.0/8", "::1/128"] for the sandbox).
    allow_networks: list[str] = Field(default_factory=list)

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        from spiders.netpolicy import parse_networks

        parse_networks(v)
        return v

    @property
    def policy(self):
        from spiders.netpolicy import NetPolicy

        return NetPolicy.from_cidrs(self.allow_networks)


class Apps(_Section):
    # When to download a whole APK (CRC test and sha256): when its version changed,
    # every night, or never (range checks only).
    full_download: Literal["on_change", "always", "never"] = "on_change"
    max_download_bytes: int = 512 * 1024 * 1024
    landing_browser: bool = True  # open landing pages in Chromium (off: a page is unknown, not a failure)
    check_ipv6: bool = True  # Annex §13: AAAA lookup and an IPv6 connection to the download host


class Rules(_Section):
    file: str = ""
    app_confirm_checks: int = 2
    app_confirm_interval: str = "24h"

    @field_validator("app_confirm_interval")
    @classmethod
    def _interval(cls, v: str) -> str:
        parse_duration(v)
        return v


class Evidence(_Section):
    tsa_url: str = ""
    warc_max_body_mb: int = 20  # larger bodies are archived cut, marked WARC-Truncated
    tsa_ca_file: str = ""  # PEM of the TSA's CA: copied into each package, used by verify
    browser_restart_after: int = 50
    capture_timeout: float = 60.0
    viewport_width: int = 414
    viewport_height: int = 896


class Alerts(_Section):
    # apprise URLs. Inspectors per 属地 (district name → list of URLs; "*" for all).
    inspectors: dict[str, list[str]] = Field(default_factory=dict)
    operator: list[str] = Field(default_factory=list)
    # How a manager's registry e-mail is reached: an apprise mailto URL template with
    # {email}, e.g. "mailtos://user:pass@smtp.example.gov.cn?to={email}".
    manager_email_url: SecretStr | None = None
    outbox: str = "var/outbox.jsonl"
    retries: int = 3
    retry_delay: float = 2.0  # seconds before the 2nd try; grows linearly per attempt


class Schedule(_Section):
    cron: str = "30 0 * * *"  # the start of the window
    misfire_grace_hours: float = 6.0
    # The weekly account discovery (监管范围): Sunday 04:30, after the nightly cycle; "" = off.
    discovery_cron: str = "30 4 * * sun"
    # The night's crawl window (local time, may wrap midnight): with [crawl] delay it gives
    # each host's request budget; the night is planned to fit it (monitor/crawl/plan.py).
    window: str = "00:30-06:30"
    max_nights_between_checks: int = Field(default=2, ge=1)  # no account waits longer for a verdict
    budget_margin: float = Field(default=0.1, ge=0, lt=1)  # share of the budget kept for retries
    host_budget: int = Field(default=0, ge=0)  # requests per host and worker a night; 0: window ÷ [crawl] delay

    @field_validator("window")
    @classmethod
    def _window(cls, v: str) -> str:
        window_seconds(v)
        return v

    @property
    def window_seconds(self) -> float:
        return window_seconds(self.window)

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        # Checked here, not when the daemon starts: a cron that cannot fire is a config error.
        cron_trigger(v, ZoneInfo("UTC"))
        return v

    @field_validator("discovery_cron")
    @classmethod
    def _discovery_cron(cls, v: str) -> str:
        if v.strip():
            cron_trigger(v, ZoneInfo("UTC"))
        return v.strip()


def window_seconds(window: str) -> float:
    """Length of a "HH:MM-HH:MM" window in seconds (an end before the start wraps midnight);
    ValueError says what is wrong."""
    from datetime import datetime

    try:
        start, end = (datetime.strptime(part.strip(), "%H:%M") for part in window.split("-"))
    except ValueError:
        raise ValueError(f"{window!r} is not a window like \"00:30-06:30\" (local HH:MM-HH:MM)") from None
    seconds = (end - start).total_seconds() % 86400
    if not seconds:
        raise ValueError(f"{window!r} is an empty window")
    return seconds


def cron_trigger(cron: str, tz: ZoneInfo):
    """An APScheduler CronTrigger from 5 fields (or 6 with seconds first) that fires at least
    once; ValueError names what is wrong."""
    from datetime import datetime, timezone

    from apscheduler.triggers.cron import CronTrigger

    fields = cron.split()
    try:
        if len(fields) == 5:
            trigger = CronTrigger.from_crontab(cron, timezone=tz)
        elif len(fields) == 6:
            second, minute, hour, day, month, dow = fields
            trigger = CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                                  day_of_week=dow, timezone=tz)
        else:
            raise ValueError(f"expected 5 fields (or 6 with seconds first), got {len(fields)}")
    except ValueError as exc:
        raise ValueError(f"{cron!r} is not a cron expression like \"0 2 * * *\": {exc}") from None
    if trigger.get_next_fire_time(None, datetime.now(timezone.utc)) is None:
        raise ValueError(f"{cron!r} never fires (no such date)")
    return trigger


class TextCheck(_Section):
    # A folder of the operator's own word lists (terms_*.txt, pairs_*.toml, sensitive_*.txt …,
    # same format as monitor/textcheck/data/), added to the packaged ones.
    extra_lists_dir: str = ""


class Interaction(_Section):
    # Comment sections read per night (issue 25): one request per post, for the newest new
    # posts of each account, counted in the night's request budget.
    posts_per_night: int = Field(3, ge=0)  # per account; 0 turns comment reading off
    comments_per_post: int = Field(20, ge=1)  # top-level comments and replies, page order
    # Inspectors' interaction tests (私信/留言/评论): a reply is due within this many working
    # days after the day the test was sent (China's calendar: holidays and 调休 included).
    reply_working_days: int = Field(5, ge=1)
    # Days the calendar package does not know yet (a new year's schedule) or gets wrong:
    # extra holidays, and weekend days made working days (调休上班), as "YYYY-MM-DD".
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)


SUPPORTED_DATABASES = ("sqlite", "postgresql+psycopg")


class Web(_Section):
    # Signs the session cookies. Unset: a random key per `monitor web` process, so every
    # restart signs everyone out.
    secret_key: SecretStr | None = None
    # Where people reach the workspace, e.g. "https://jiancha.example.gov.cn". Set, alerts and
    # digests link to its pages instead of local evidence paths; https turns on Secure cookies.
    public_url: str = ""
    session_hours: float = 12.0

    @field_validator("public_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if v and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"public_url must start with http:// or https://, not {v!r}")
        return v.rstrip("/")


class Orders(_Section):
    # 通报 and rectification orders (整改单).
    deadline_days: int = Field(10, ge=1)  # Annex 3: 通报公开之日起10日内
    attachments_dir: str = "var/attachments"  # unit replies' files, named by their SHA-256
    attachment_max_mb: float = Field(10.0, gt=0)  # per file
    attachments_per_reply: int = Field(10, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MONITOR_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    database_url: str = "sqlite:///var/monitor.db"
    evidence_dir: str = "var/evidence"
    report_dir: str = "var/report"
    warc_dir: str = "var/warc"
    timezone: str = "Asia/Shanghai"
    # 属地 in the order reports list them (the administrative order, e.g. 市级, 崇川区, …);
    # empty: the order the registry gives them. Unlisted ones follow in registry order.
    districts: list[str] = Field(default_factory=list)
    platforms: Platforms = Platforms()
    crawl: Crawl = Crawl()
    apps: Apps = Apps()
    rules: Rules = Rules()
    evidence: Evidence = Evidence()
    alerts: Alerts = Alerts()
    schedule: Schedule = Schedule()
    web: Web = Web()
    orders: Orders = Orders()
    textcheck: TextCheck = TextCheck()
    interaction: Interaction = Interaction()

    @field_validator("database_url")
    @classmethod
    def _database(cls, v: str) -> str:
        scheme = v.split("://", 1)[0].lower() if "://" in v else ""
        if scheme not in SUPPORTED_DATABASES:
            hint = " (write postgresql+psycopg://…, the driver this product uses)" if scheme.startswith("postgres") else ""
            raise ValueError(f"unsupported database URL {scheme + '://' if scheme else repr(v)}{hint}: "
                             "use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/NAME")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings):
        # Environment beats the file, which is passed in as init values.
        return (env_settings, init_settings)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '1h', '2d' → timedelta."""
    m = _DURATION.match(text or "")
    if not m:
        raise ValueError(f"not a duration like '1h' or '30m': {text!r}")
    n, unit = float(m.group(1)), m.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: n})


def config_path(explicit: str | os.PathLike | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("MONITOR_CONFIG")
    if env:
        return Path(env)
    default = Path("monitor.toml")
    return default if default.exists() else None


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read the config file (if any) and the environment; raise ConfigError on any problem."""
    file_values: dict[str, Any] = {}
    p = config_path(path)
    if p is not None:
        try:
            file_values = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {p} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {p} cannot be read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None
    try:
        return Settings(**file_values)
    except ValidationError as exc:
        where = f" in {p}" if p else ""
        problems = []
        for err in exc.errors():
            key = ".".join(str(x) for x in err["loc"])
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
            problems.append(f"{key}: {msg}")
        raise ConfigError(f"bad config{where}: " + "; ".join(problems)) from None


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The effective config as plain data with every secret masked: SecretStr fields, URL
    passwords (database, Redis, TSA: ``scheme://user:********@host``, also ``redis://:pw@``),
    credential-like query values, and the tokens inside apprise alert URLs."""
    from monitor.secrets import MASK, mask_alert_url
    from spiders.redact import mask_url

    data = settings.model_dump(mode="json")
    for secret in _secret_paths(settings):
        node = data
        for part in secret[:-1]:
            node = node[part]
        if node.get(secret[-1]) is not None:
            node[secret[-1]] = MASK
    alerts = data["alerts"]
    alerts["operator"] = [mask_alert_url(u) for u in alerts["operator"]]
    alerts["inspectors"] = {d: [mask_alert_url(u) for u in urls] for d, urls in alerts["inspectors"].items()}
    return _mask_urls(data, lambda u: mask_url(u, MASK))


def _secret_paths(model: BaseModel, prefix: tuple = ()) -> list[tuple]:
    out = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr) or (value is None and "Secret" in str(type(model).model_fields[name].annotation)):
            out.append(prefix + (name,))
        elif isinstance(value, BaseModel):
            out.extend(_secret_paths(value, prefix + (name,)))
    return out


def _mask_urls(value: Any, mask) -> Any:
    if isinstance(value, dict):
        return {k: _mask_urls(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_urls(v, mask) for v in value]
    if isinstance(value, str) and "://" in value:
        return mask(value)
    return value
