"""Where the product's platform URLs point: the real sites, or a local sandbox. A set-up that
points most platforms at a sandbox but leaves one at the real site would send that
platform's requests to the internet (and judge real accounts against a simulated world), so
it is worth a warning."""
from __future__ import annotations

from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from monitor.config import Platforms, Settings


def platform_urls(platforms: Platforms | dict[str, Any]) -> dict[str, str]:
    """'platforms.weibo.base_url' → URL, for every URL key under [platforms]."""
    data = platforms.model_dump(mode="json") if isinstance(platforms, Platforms) else platforms
    out = {}
    for name, section in data.items():
        for key, value in (section or {}).items():
            if isinstance(value, str) and key.endswith("url") and "://" in value:
                out[f"platforms.{name}.{key}"] = value
    return out


def is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def mixed_targets(settings: Settings) -> list[str]:
    """One warning per platform URL still at the real site while the others point at a
    local sandbox; empty when all point the same way."""
    urls = platform_urls(settings.platforms)
    local = {k: v for k, v in urls.items() if is_local(v)}
    if not local or len(local) == len(urls):
        return []
    sandbox = next(iter(local.values()))
    base = f"{urlsplit(sandbox).scheme}://{urlsplit(sandbox).netloc}"
    return [f"{key} = {url!r} still points at the real site while the other platforms point at a local "
            f"sandbox ({base}): its requests would go to the internet. `monitor sandbox` prints the "
            f"settings that point every platform at it."
            for key, url in sorted(urls.items()) if key not in local]
