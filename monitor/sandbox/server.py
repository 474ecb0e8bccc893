"""The sandbox HTTP server: one aiohttp app on loopback hosting every simulated platform.

Each module in ``monitor.sandbox.platforms`` defines ``register(app, world)`` and adds its
routes under its own prefix (``/weibo``, ``/wechat``, ``/feeds``, ``/apps``, ``/stores``…),
so adding a platform means adding one file. ``World`` holds what every route shares: the
scenario, fault injection and the request log.
"""
from __future__ import annotations

import asyncio
import contextvars
import importlib
import json
import pkgutil
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from monitor.sandbox import platforms
from monitor.sandbox.scenario import Scenario

# Answered by the platform handlers (they ask ``Faults.pick()``) …
HANDLER_FAULTS = ("418", "432", "500", "timeout", "captcha")
# … and applied by the server to what the handler answered: a transfer cut halfway, or the
# same data in a shape the product has never seen (renamed keys, ids and elements).
BODY_FAULTS = ("truncated", "layout")
FAULT_KINDS = HANDLER_FAULTS + BODY_FAULTS


@dataclass
class _Draw:
    fault: str | None
    request: web.Request
    asked: bool = False  # the handler is one that faults apply to


_request_fault: contextvars.ContextVar[_Draw] = contextvars.ContextVar("sandbox_fault")


@dataclass
class Faults:
    """A fraction ``rate`` of platform requests answer with one of ``kinds`` instead.

    One draw per request. Handler kinds are what ``pick()`` returns to the handler; body
    kinds are applied to the handler's answer (only on requests whose handler asked, i.e.
    the platform endpoints, never the sandbox's own pages). ``timeout`` makes the handler
    stall ``timeout_seconds`` (set it above the product's download timeout; tests keep both
    small).
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("500",)
    seed: int = 7
    timeout_seconds: float = 40.0

    def __post_init__(self):
        bad = [k for k in self.kinds if k not in FAULT_KINDS]
        if bad or not 0 <= self.rate <= 1 or self.timeout_seconds < 0:
            raise ValueError(f"faults: rate must be 0..1, kinds among {FAULT_KINDS} and the timeout ≥ 0 s, "
                             f"got {self.rate} {bad} {self.timeout_seconds}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        # (platform, kind) → platform requests that drew the fault: proof it reached them.
        self.served: Counter = Counter()

    @classmethod
    def parse(cls, text: str | None) -> "Faults":
        """'0.1:418,500' → 10% of requests answer 418 or 500; '1:timeout:2' → every request
        stalls 2 s."""
        if not text:
            return cls()
        rate, _, rest = text.partition(":")
        kinds, _, seconds = rest.partition(":")
        try:
            extra = {"timeout_seconds": float(seconds)} if seconds else {}
            return cls(rate=float(rate), kinds=tuple(k.strip() for k in (kinds or "500").split(",") if k.strip()),
                       **extra)
        except ValueError as exc:
            raise ValueError(f"faults {text!r}: {exc} (form: RATE:KIND,KIND[:TIMEOUT_SECONDS])") from None

    def draw(self) -> str | None:
        with self._lock:
            if self.rate and self._rng.random() < self.rate:
                return self._rng.choice(self.kinds)
        return None

    def pick(self) -> str | None:
        """The handler fault for the request being answered (None: answer normally)."""
        current = _request_fault.get(None)
        if current is None:  # outside a request
            fault = self.draw()
        else:
            current.asked = True
            fault = current.fault
            if fault:
                with self._lock:
                    self.served[(current.request.get("platform") or "", fault)] += 1
        return fault if fault in HANDLER_FAULTS else None


def _renamed_json(data: Any, top: bool = True) -> Any:
    """Same values, new key names; top-level scalars (``ok``, ``ret``, ``resultCount``) keep
    theirs, so the answer still looks like a success."""
    if isinstance(data, dict):
        return {(k if top and not isinstance(v, (dict, list)) else f"{k}_v2"): _renamed_json(v, False)
                for k, v in data.items()}
    if isinstance(data, list):
        return [_renamed_json(v, False) for v in data]
    return data


_XML_KEEP = {"rss", "feed", "channel", "xml"}


def _changed_layout(body: bytes, content_type: str) -> bytes:
    text = body.decode("utf-8", "replace")
    stripped = text.strip()
    callback = re.match(r"^([\w.$]+(?:\s*&&\s*[\w.$]+)?)\((.*)\);?$", stripped, re.S)  # JSONP
    try:
        if callback:
            return f"{callback[1]}({json.dumps(_renamed_json(json.loads(callback[2])), ensure_ascii=False)});".encode()
        if stripped[:1] in "{[":
            return json.dumps(_renamed_json(json.loads(stripped)), ensure_ascii=False).encode()
    except json.JSONDecodeError:
        pass
    if "xml" in content_type or stripped.startswith("<?xml"):
        return re.sub(r"<(/?)([A-Za-z][\w.-]*)", lambda m: m[0] if m[2].lower() in _XML_KEEP else f"<{m[1]}{m[2]}_v2",
                      text).encode()
    # HTML: the same text under renamed ids, classes and script variables.
    text = re.sub(r'\b(id|class)="([^"]*)"', lambda m: f'{m[1]}="' + " ".join(f"{t}-v2" for t in m[2].split()) + '"', text)
    text = re.sub(r"\bvar\s+([A-Za-z_$][\w$]*)\s*=", r"var \1_v2 =", text)
    return text.encode()


async def _apply_body_fault(fault: str, request: web.Request, resp: web.StreamResponse) -> web.StreamResponse:
    if not isinstance(resp, web.Response) or not isinstance(resp.body, bytes) or not resp.body:
        return resp  # streamed files and empty answers: nothing to rewrite
    if fault == "layout":
        resp.body = _changed_layout(resp.body, resp.content_type or "")
        return resp
    # A transfer cut by the network: half the body under the full Content-Length (and
    # Content-Range), then the connection drops. A client can tell this from a server that
    # serves a short file, and must.
    body = resp.body
    headers = CIMultiDict(resp.headers)
    headers.pop("Content-Length", None)
    cut = web.StreamResponse(status=resp.status, reason=resp.reason, headers=headers)
    cut.content_length = len(body)
    await cut.prepare(request)
    await cut.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return cut


@dataclass
class LoggedRequest:
    time: float
    method: str
    path: str
    query: str
    status: int
    client: str
    platform: str | None = None
    account: str | None = None
    bytes_sent: int = 0


@dataclass
class World:
    scenario: Scenario
    faults: Faults = field(default_factory=Faults)
    log_file: Path | None = None
    requests: list[LoggedRequest] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # per-platform mutable state
    _lock: threading.Lock = field(default_factory=threading.Lock)
    keep_log: bool = True

    @property
    def at(self):
        """The sandbox's current time: relative dates (刚刚, 3小时前) are computed from it."""
        return self.scenario.clock

    def set_clock(self, when) -> None:
        """Move the sandbox's "now" (e.g. to T−1 d for the previous night)."""
        self.scenario.clock = when

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            if self.keep_log:
                self.requests.append(entry)
            if self.log_file is not None:
                with self.log_file.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry.__dict__, ensure_ascii=False) + "\n")

    def count(self, platform: str | None = None, account: str | None = None, path_prefix: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests
                       if (platform is None or r.platform == platform)
                       and (account is None or r.account == account)
                       and (path_prefix is None or r.path.startswith(path_prefix)))

    def per_account(self, platform: str | None = None) -> Counter:
        with self._lock:
            return Counter(r.account for r in self.requests
                           if r.account and (platform is None or r.platform == platform))

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()


def tag(request: web.Request, platform: str, account: str | None = None) -> None:
    """Platform handlers call this so the request log can count requests per account."""
    request["platform"] = platform
    if account is not None:
        request["account"] = str(account)


@web.middleware
async def _fault_middleware(request: web.Request, handler):
    world: World = request.app["world"]
    draw = _Draw(world.faults.draw(), request)
    _request_fault.set(draw)  # this request's task only
    resp = await handler(request)
    if draw.asked and draw.fault in BODY_FAULTS and resp.status in (200, 206):
        resp = await _apply_body_fault(draw.fault, request, resp)
    return resp


@web.middleware
async def _log_middleware(request: web.Request, handler):
    world: World = request.app["world"]
    status = 500
    resp = None
    try:
        resp = await handler(request)
        status = resp.status
        return resp
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        world.record(LoggedRequest(
            time=time.time(), method=request.method, path=request.path, query=request.query_string,
            status=status, client=request.remote or "", platform=request.get("platform"),
            account=request.get("account"),
            bytes_sent=(resp.content_length or 0) if resp is not None and resp.content_length else 0,
        ))


def build_app(world: World) -> web.Application:
    app = web.Application(middlewares=[_log_middleware, _fault_middleware])
    app["world"] = world

    async def index(_request):
        return web.json_response({
            "sandbox": "政务新媒体 platform sandbox", "scenario": world.scenario.name,
            "at": world.at.isoformat(), "accounts": len(world.scenario),
        })

    app.router.add_get("/_sandbox", index)
    for mod in sorted(pkgutil.iter_modules(platforms.__path__), key=lambda m: m.name):
        importlib.import_module(f"{platforms.__name__}.{mod.name}").register(app, world)
    return app


class SandboxServer:
    """Runs the sandbox in a background thread on 127.0.0.1 (port 0 = a free port)."""

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0):
        self.world = world
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "SandboxServer":
        self._thread = threading.Thread(target=self._run, name="sandbox", daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("sandbox did not start within 30 s")
        if self._error:
            raise self._error
        return self

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            # Stalled and hanging answers (fault modes) are cut at stop, not waited for.
            self._runner = web.AppRunner(build_app(self.world), access_log=None, shutdown_timeout=0.5)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, self.host, self.port)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
        except BaseException as exc:  # surfaced to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def config_overrides(self) -> dict[str, Any]:
        """Settings values that point the product at this sandbox instead of the real sites."""
        return platform_config(self.url)


DEMO_PORT = 18765
DEMO_BASE = f"http://127.0.0.1:{DEMO_PORT}"


VIDEO_CANARY = "MS4wLjABAAAAsandboxCanaryToutiao000000000000000000000"


def platform_config(base: str) -> dict[str, Any]:
    return {
        "platforms": {
            "weibo": {"base_url": f"{base}/weibo"},
            # The sandbox's aboutbiz wants WeChat-client headers, as WeChat does; any values do.
            "wechat": {"base_url": f"{base}/wechat", "client_uin": "MTAwMDAwMDAwMQ==",
                       "client_key": "sandbox-client-key"},
            # 头条 through the RSSHub double (its canary: an account that posts daily), 抖音 and
            # 快手 through their profile pages in Chromium.
            "toutiao": {"base_url": f"{base}/toutiao", "way": "feed", "rsshub_url": f"{base}/rsshub",
                        "canary": f"{base}/rsshub/toutiao/user/token/{VIDEO_CANARY}"},
            "douyin": {"base_url": f"{base}/douyin", "way": "browser", "rsshub_url": f"{base}/rsshub"},
            "kuaishou": {"base_url": f"{base}/kuaishou", "way": "browser", "rsshub_url": f"{base}/rsshub"},
            "apple": {"lookup_url": f"{base}/stores/apple/lookup"},
            "yyb": {"url": f"{base}/stores/yyb/o/simple.jsp", "fallback_url": f"{base}/stores/yyb/wechat-apkinfo"},
            "huawei": {"url": f"{base}/stores/huawei/edge"},
            "xiaomi": {"url": f"{base}/stores/xiaomi/details"},
            "vivo": {"url": f"{base}/stores/vivo/detail"},
        }
    }
