"""monitor.toml → Scrapy settings. The spiders never import monitor: they are wired by these
settings, so the same spiders run against the real sites, a mirror or the sandbox."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.config import Settings, parse_duration


def _veto_days(settings: Settings) -> int:
    from monitor.rules import load_ruleset

    return load_ruleset(settings).params.veto_days


def _hours(duration: str) -> float:
    return parse_duration(duration).total_seconds() / 3600


def scrapy_settings(settings: Settings, at: datetime, run_id: int | None = None,
                    account_ids: list[int] | None = None) -> dict[str, Any]:
    c = settings.crawl
    p = settings.platforms
    out: dict[str, Any] = {
        "MONITOR_DATABASE_URL": settings.database_url,
        "MONITOR_RUN_ID": run_id,
        "MONITOR_AT": at.isoformat(),
        "MONITOR_TIMEZONE": settings.timezone,
        "MONITOR_CHECK_WEEKS": c.check_weeks,
        "MONITOR_WARC_DIR": settings.warc_dir,
        "MONITOR_ACCOUNT_IDS": account_ids or [],
        "DOWNLOAD_DELAY": c.delay,
        "CONCURRENT_REQUESTS": c.concurrency,
        "MONITOR_WRITER": c.writer,
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrency if c.delay == 0 else 2,
        "AUTOTHROTTLE_ENABLED": c.autothrottle and c.delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(c.delay, 0.1),
        "DOWNLOAD_TIMEOUT": c.timeout,
        "RETRY_TIMES": c.retries,
        "ROBOTSTXT_OBEY": c.obey_robots,
        "USER_AGENT": c.user_agent,
        "OUTBOUND_ALLOW_NETWORKS": list(c.allow_networks),
        "WEIBO_BASE_URL": p.weibo.base_url.rstrip("/"),
        "WEIBO_COOKIES": p.weibo.cookies.get_secret_value() if p.weibo.cookies else "",
        "WEIBO_COOKIE_COOLDOWN": p.weibo.cookie_cooldown,
        "WEIBO_PROFILE_REFRESH_DAYS": p.weibo.profile_refresh_days,
        "WEIBO_418_BACKOFF": p.weibo.backoff_418,
        "WEIBO_MAX_PAGES": p.weibo.max_pages,
        "INTERACTION_POSTS_PER_NIGHT": settings.interaction.posts_per_night,
        "INTERACTION_COMMENTS_PER_POST": settings.interaction.comments_per_post,
        "WECHAT_ABOUTBIZ_REFRESH_DAYS": p.wechat.aboutbiz_refresh_days,
        # The feed verdict needs the veto window of the rule set in force.
        "WECHAT_VETO_DAYS": _veto_days(settings),
        "APP_FULL_DOWNLOAD": settings.apps.full_download,
        "APP_MAX_DOWNLOAD_BYTES": settings.apps.max_download_bytes,
        "APP_LANDING_BROWSER": settings.apps.landing_browser,
        "APP_CHECK_IPV6": settings.apps.check_ipv6,
        "MONITOR_WARC_MAX_BODY": settings.evidence.warc_max_body_mb * 1024 * 1024,
        "WECHAT_BASE_URL": p.wechat.base_url.rstrip("/"),
        "WECHAT_TRUSTED_FEED_KINDS": list(p.wechat.trusted_feed_kinds),
        "WECHAT_FEED_SYNC_MAX_AGE_HOURS": _hours(p.wechat.feed_sync_max_age),
        "WECHAT_FEED_SERVICES": [
            {"url_prefix": f.url_prefix, "kind": f.kind, "canary": f.canary, "refresh": f.refresh,
             "max_age_hours": _hours(f.max_age) if f.max_age else None}
            for f in p.wechat.feed_services],
        "WECHAT_CLIENT_UIN": p.wechat.client_uin.get_secret_value() if p.wechat.client_uin else "",
        "WECHAT_CLIENT_KEY": p.wechat.client_key.get_secret_value() if p.wechat.client_key else "",
        "WECHAT_CLIENT_USER_AGENT": p.wechat.client_user_agent,
        "MONITOR_VETO_DAYS": _veto_days(settings),
        "VIDEO_PLATFORMS": {
            name: {"base_url": v.base_url.rstrip("/"), "way": v.way, "rsshub_url": v.rsshub_url.rstrip("/"),
                   "canary": v.canary, "max_age_hours": _hours(v.max_age), "browser_timeout": v.browser_timeout}
            for name, v in (("toutiao", p.toutiao), ("douyin", p.douyin), ("kuaishou", p.kuaishou))},
        "APPLE_LOOKUP_URL": p.apple.lookup_url,
        "STORE_URLS": {"yyb": p.yyb.url, "huawei": p.huawei.url, "xiaomi": p.xiaomi.url, "vivo": p.vivo.url},
        "STORE_FALLBACK_URLS": {"yyb": p.yyb.fallback_url},
        "LOG_LEVEL": "INFO",
    }
    return out
