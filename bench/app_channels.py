"""Bytes and requests per app check, for each channel kind.

    .venv/bin/python bench/app_channels.py

Runs every kind of app channel once against the sandbox on loopback (nothing here touches the
internet) and prints, per kind: the requests the sandbox answered, the bytes our checker read
(client side, what counts for politeness and for a metered line) and the bytes the sandbox
declared (server side; for a browser that cancels a download, more than it read).

Kinds: a bare APK with Range (small and 6 MB), a bare APK on a server that ignores Range
(small and 6 MB), a download page whose HTML links to the APK (read without a browser) and
one whose button needs Chromium (the page, the cancelled download, then the range check of
the file), and each store adapter (Apple, 应用宝 微下载 page and its
old-API fallback, Huawei classic and HarmonyOS, vivo, Xiaomi).
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.sandbox import DEMO_AT, SandboxServer, Scenario, World  # noqa: E402
from monitor.timeutil import resolve_at  # noqa: E402
from spiders.appcheck import HttpxTransport, check_download  # noqa: E402
from spiders.appcheck.landing import LandingBrowser, check_landing  # noqa: E402
from spiders.appcheck.stores import STORES  # noqa: E402

T = resolve_at(DEMO_AT)
APPS = [
    {"platform": "app", "id": "cn.gov.bench.app", "name": "基准应用",
     "download": {"path": "landing.html", "serve": "landing", "kind": "link", "apk": "/apps/cases/good.apk",
                  "apple_id": "1660000901"},
     "stores": {"apple": {"id": "1660000901"}, "yyb": {}, "huawei": {"id": "C100000901"}, "vivo": {"id": "3000901"},
                "xiaomi": {}}},
    {"platform": "app", "id": "cn.gov.bench.oldapi", "name": "旧接口", "stores": {"yyb": {"page": "broken"}}},
    {"platform": "app", "id": "cn.gov.bench.harmony", "name": "鸿蒙", "stores": {"huawei": {"id": "C576588020785000901", "harmony": True}}},
]


class Meter:
    """Requests and declared bytes the sandbox served between two marks."""

    def __init__(self, world: World):
        self.world, self.mark = world, 0

    def start(self) -> None:
        self.mark = len(self.world.requests)

    def read(self) -> tuple[int, int]:
        got = self.world.requests[self.mark:]
        return len(got), sum(r.bytes_sent for r in got)


async def measure(srv: SandboxServer) -> list[dict]:
    rows: list[dict] = []
    meter = Meter(srv.world)
    base = srv.url

    def row(kind: str, result, client_bytes=None) -> None:
        requests, served = meter.read()
        rows.append({"kind": kind, "outcome": result.outcome, "reason": result.reason, "requests": requests,
                     "client_bytes": client_bytes if client_bytes is not None else result.bytes_transferred,
                     "server_bytes": served, "file_bytes": result.size})

    async with HttpxTransport() as t:
        for kind, path, package in (("apk, Range (8 KB)", "good.apk", "cn.gov.nantong.baitong"),
                                    ("apk, Range (6 MB)", "large.apk", "cn.gov.sandbox.large"),
                                    ("apk, no Range (8 KB)", "no-range.apk", "cn.gov.nantong.baitong"),
                                    ("apk, no Range (6 MB)", "large-no-range.apk", "cn.gov.sandbox.large")):
            await check_download(t, f"{base}/apps/cases/{path}", package)  # warm the 6 MB file's cache
            meter.start()
            row(kind, await check_download(t, f"{base}/apps/cases/{path}", package))
        async with LandingBrowser() as browser:
            await browser.get()  # the launch is once per crawl, not per page
            for kind, path in (("download page, plain link (HTML read)", "/apps/download/landing.html"),
                               ("download page, button (Chromium)", "/apps/cases/landing-button")):
                meter.start()
                page = await check_download(t, base + path, None)
                res, _ = await check_landing(t, page, None, browser=browser)
                row(kind, res)
        stores = [("apple", "/stores/apple/lookup", "1660000901", None),
                  ("yyb 微下载 page", "/stores/yyb/o/simple.jsp", "cn.gov.bench.app", None),
                  ("yyb page → old API", "/stores/yyb/o/simple.jsp", "cn.gov.bench.oldapi", "/stores/yyb/wechat-apkinfo"),
                  ("huawei (appinfo)", "/stores/huawei/edge", "C100000901", None),
                  ("huawei HarmonyOS (page-detail)", "/stores/huawei/edge", "C576588020785000901", None),
                  ("vivo", "/stores/vivo/detail", "3000901", None),
                  ("xiaomi", "/stores/xiaomi/details", "cn.gov.bench.app", None)]
        for kind, path, ident, fallback in stores:
            store = kind.split()[0]
            meter.start()
            res = await STORES[store].check(t, base + path, ident, None,
                                            fallback_url=base + fallback if fallback else None)
            row(kind, res)
    return rows


def main() -> int:
    srv = SandboxServer(World(Scenario(APPS, at=T))).start()
    try:
        rows = asyncio.run(measure(srv))
    finally:
        srv.stop()
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    print()
    print(f"{'channel kind':40} {'outcome':8} {'requests':>8} {'read B':>10} {'served B':>10} {'file B':>10}")
    for r in rows:
        print(f"{r['kind']:40} {r['outcome']:8} {r['requests']:>8} {r['client_bytes'] or 0:>10} "
              f"{r['server_bytes']:>10} {r['file_bytes'] or '':>10}")
    return 0 if all(r["outcome"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
