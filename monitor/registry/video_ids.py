"""账号ID and 访问链接 of 今日头条, 抖音 and 快手 accounts: what identifies one, and its links.

抖音 accounts are named by their ``sec_uid`` and 头条 accounts by their user ``token``, both
``MS4wLjABAAAA…``; 快手 accounts by the ``principalId`` of ``kuaishou.com/profile/…``
(docs/research/short_video_platforms.md). The 抖音号, numeric 头条 user ids and share short
links cannot be turned into those offline, so they are refused with what to give instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from spiders.shortvideo.sites import PAGES

VIDEO_PLATFORMS = ("toutiao", "douyin", "kuaishou")
_SEC = r"MS4wLjABAAAA[A-Za-z0-9_-]{16,200}"


@dataclass(frozen=True)
class _Form:
    id_pattern: re.Pattern
    hosts: tuple[str, ...]
    path: re.Pattern  # captures the id from a profile link's path
    page: str  # profile page for an id, relative to the platform's base URL
    what: str  # how the id is described in errors


FORMS = {
    "douyin": _Form(re.compile(rf"^{_SEC}$"), ("douyin.com", "www.douyin.com", "m.douyin.com", "www.iesdouyin.com"),
                    re.compile(rf"^/(?:share/)?user/({_SEC})/?$"), PAGES["douyin"],
                    "the 抖音 sec_uid (MS4wLjABAAAA…, from the profile link douyin.com/user/…)"),
    "toutiao": _Form(re.compile(rf"^{_SEC}$"), ("toutiao.com", "www.toutiao.com", "m.toutiao.com"),
                     re.compile(rf"^/c/user/token/({_SEC})/?$"), PAGES["toutiao"],
                     "the 头条 token (MS4wLjABAAAA…, from the link toutiao.com/c/user/token/…)"),
    "kuaishou": _Form(re.compile(r"^[A-Za-z0-9_-]{3,64}$"), ("kuaishou.com", "www.kuaishou.com", "live.kuaishou.com",
                                                           "v.kuaishou.com"),
                      re.compile(r"^/profile/([A-Za-z0-9_-]{3,64})/?$"), PAGES["kuaishou"],
                      "the 快手 principalId (from the link kuaishou.com/profile/…)"),
}
_SHORT_LINKS = ("v.douyin.com", "v.kuaishou.com", "m.toutiao.com/is")


class VideoIdError(ValueError):
    """``str()`` is the reason shown for the row's column."""


def id_from_url(platform: str, url: str) -> str:
    """The account id a profile link names; VideoIdError says why a link names none."""
    form = FORMS[platform]
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if any(f"{host}{parts.path}".startswith(s) for s in _SHORT_LINKS):
        raise VideoIdError(f"{url!r} is a share short link; open it and give the profile link it leads to")
    if host not in form.hosts:
        raise VideoIdError(f"{url!r} is not a {platform_word(platform)} profile link ({form.hosts[1]}/…)")
    m = form.path.match(parts.path)
    if not m:
        raise VideoIdError(f"{url!r} does not name an account; give {form.what}")
    return m[1]


def check_id(platform: str, value: str) -> str:
    form = FORMS[platform]
    value = value.strip()
    if "://" in value or value.startswith(tuple(form.hosts)):
        return id_from_url(platform, value if "://" in value else "https://" + value)
    if not form.id_pattern.match(value):
        hint = " (a 抖音号 or numeric user id is not enough)" if platform != "kuaishou" else ""
        raise VideoIdError(f"{value!r} is not {form.what}{hint}")
    return value


def normalise(platform: str, platform_id: str | None, profile_url: str | None,
              base_url: str) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    """(id, canonical profile link, problems as (attr, reason)) for one registry row."""
    problems: list[tuple[str, str]] = []
    from_url = None
    if profile_url:
        try:
            from_url = id_from_url(platform, profile_url)
        except VideoIdError as exc:
            problems.append(("profile_url", str(exc)))
    pid = None
    if platform_id:
        try:
            pid = check_id(platform, platform_id)
        except VideoIdError as exc:
            problems.append(("platform_id", str(exc)))
    if pid and from_url and pid != from_url:
        problems.append(("platform_id", f"{pid!r} differs from the id in 访问链接 ({from_url!r})"))
    pid = pid or from_url
    if pid is None and not problems:
        problems.append(("platform_id", f"missing ({FORMS[platform].what})"))
    if problems:
        return pid, profile_url, problems
    # A given link is kept on its site, in one spelling (no share parameters); an empty one is
    # built where the product visits (the configured base: the real site or a sandbox).
    base = f"https://{FORMS[platform].hosts[1]}" if from_url else base_url
    return pid, profile_url_for(platform, pid, base), problems


def profile_url_for(platform: str, platform_id: str, base_url: str) -> str:
    return base_url.rstrip("/") + FORMS[platform].page.format(id=platform_id)


def platform_word(platform: str) -> str:
    return {"douyin": "抖音", "toutiao": "今日头条", "kuaishou": "快手"}[platform]
