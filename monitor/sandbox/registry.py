"""Registry rows for a scenario's accounts pointed at a running sandbox."""
from __future__ import annotations

from pathlib import Path

from monitor.sandbox.platforms.wewe_rss import feed_path
from monitor.sandbox.server import DEMO_BASE

DEMO_REGISTRY = Path(__file__).resolve().parents[1] / "demo" / "registry.csv"


def demo_registry_text(base: str = DEMO_BASE) -> str:
    """The demo registry with its sandbox URLs (written for port 18765) moved to ``base``."""
    return DEMO_REGISTRY.read_text(encoding="utf-8-sig").replace(DEMO_BASE, base.rstrip("/"))


def write_demo_registry(path: Path, base: str = DEMO_BASE) -> Path:
    path.write_text(demo_registry_text(base), encoding="utf-8")
    return path


def feed_url(base: str, biz: str, shape: str = "wewe", service: str = "main") -> str:
    """Where the sandbox serves an account's 订阅源 (scenario keys ``feed``, ``wewe_service``)."""
    if shape == "wewe":
        return base.rstrip("/") + feed_path(biz, service)
    ext = {"aggregator": "json"}.get(shape, "xml")
    return f"{base.rstrip('/')}/feeds/{shape}/{biz}.{ext}"


SCALE_HEADERS = ["名称", "平台", "主办单位", "属地", "账号ID", "订阅源", "开设时间", "是否认证"]
_DISTRICTS = ["崇川区", "通州区", "海门区", "如东县", "启东市", "如皋市", "海安市", "市级"]


def write_scale_registry(path: Path, scenario, base: str) -> Path:
    """A registry (CSV, Annex 1 headers) for every account of a ScaleScenario, streamed so
    that 100,000 accounts need no more memory than one."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SCALE_HEADERS)
        for i, acc in enumerate(scenario.accounts()):
            unit = acc.get("subject") or acc.get("verified_reason", "").replace("官方微博", "") or acc.name
            if acc.platform == "weibo":
                w.writerow([acc.name, "新浪微博", unit, _DISTRICTS[i % 8], acc.id, "", "2018-01-01", "是"])
            else:
                feed = feed_url(base, acc.id, acc.get("feed", "wewe"), acc.get("wewe_service", "main"))
                w.writerow([acc.name, "微信订阅号", unit, _DISTRICTS[i % 8], acc.id, feed, "2018-01-01", "是"])
    return path
