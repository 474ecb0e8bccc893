"""Scenarios: which accounts the sandbox simulates and how they behave, relative to T.

A scenario is a folder of YAML files (one per platform, merged) or a single YAML file:

    accounts:
      - platform: weibo
        id: "1000000001"
        name: 南通发布
        posts:                      # generated relative to T, deterministic from the seed
          - {every_days: 1, from_days: 0.3, to_days: 90, kind: original}
          - {days_ago: 200, kind: original, pinned: true, text: 置顶：欢迎关注}
        ...platform-specific keys, read by monitor/sandbox/platforms/<platform>.py

Scale mode (``ScaleScenario``) generates N accounts lazily from a seed, in constant memory.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import yaml

from monitor.timeutil import resolve_at

SCENARIO_DIR = Path(__file__).parent / "scenarios"
# The demo's fixed monitoring time point (a Wednesday, 02:00 Beijing time).
DEMO_AT = "2026-11-25T02:00:00+08:00"


@dataclass
class SandboxPost:
    id: str
    published_at: datetime
    kind: str = "original"  # original, repost, repost_deleted (original gone), unknown
    text: str = ""
    title: str = ""
    pinned: bool = False
    long: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SandboxAccount:
    platform: str
    id: str
    name: str
    spec: dict[str, Any]
    at: datetime  # the scenario's anchor T: content is defined relative to it
    seed: int
    scenario: "Scenario | None" = None

    @property
    def clock(self) -> datetime:
        """The sandbox's current time (see Scenario.clock)."""
        return self.scenario.clock if self.scenario is not None else self.at

    def get(self, key: str, default: Any = None) -> Any:
        return self.spec.get(key, default)

    @property
    def posts(self) -> list[SandboxPost]:
        """Posts published by the sandbox clock: newest first, pinned first (as real timelines)."""
        everything = _posts(self.platform, self.id, self.at, self.seed, _freeze(self.spec.get("posts", [])))
        clock = self.clock
        if clock >= self.at:
            return everything
        return [p for p in everything if p.published_at <= clock]


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value):
    if isinstance(value, tuple) and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) for x in value) and value:
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@lru_cache(maxsize=256)
def _posts(platform: str, account_id: str, at: datetime, seed: int, frozen_specs) -> list[SandboxPost]:
    specs = _thaw(frozen_specs) or []
    rng = random.Random(f"{seed}:{platform}:{account_id}")
    posts: list[SandboxPost] = []
    n = 0
    for spec in specs:
        if "every_days" in spec:
            every = float(spec["every_days"])
            age = float(spec.get("from_days", 0.25))
            stop = float(spec.get("to_days", 90))
            while age <= stop:
                jitter = rng.uniform(0, min(0.2, every / 4)) if spec.get("jitter", True) else 0
                posts.append(_make(spec, account_id, n, at - timedelta(days=age + jitter), rng))
                n += 1
                age += every
        else:
            posts.append(_make(spec, account_id, n, at - timedelta(days=float(spec.get("days_ago", 0))), rng))
            n += 1
    posts.sort(key=lambda p: (not p.pinned, -p.published_at.timestamp()))
    return posts


_TOPICS = ["发布会", "便民提示", "政策解读", "天气预警", "交通出行", "招聘信息", "文明创建", "营商环境", "疫苗接种", "防汛防台"]


def _make(spec: dict, account_id: str, n: int, when: datetime, rng: random.Random) -> SandboxPost:
    digest = hashlib.sha1(f"{account_id}:{n}:{when.isoformat()}".encode()).hexdigest()
    topic = _TOPICS[rng.randrange(len(_TOPICS))]
    local = when.astimezone(resolve_at(DEMO_AT).tzinfo)
    text = spec.get("text") or f"【{topic}】{local:%m月%d日}，{topic}相关信息发布，请广大市民关注。"
    return SandboxPost(
        id=str(spec.get("post_id") or (5000000000000000 + int(digest[:12], 16) % 10**15)),
        published_at=when,
        kind=spec.get("kind", "original"),
        text=text,
        title=spec.get("title") or text[:24],
        pinned=bool(spec.get("pinned", False)),
        long=bool(spec.get("long", False)),
        extra={k: v for k, v in spec.items() if k not in {"every_days", "from_days", "to_days", "days_ago", "kind", "text", "title", "pinned", "long", "post_id", "jitter"}},
    )


class Scenario:
    """A fixed set of accounts loaded from YAML."""

    def __init__(self, accounts: list[dict[str, Any]], at: datetime, seed: int = 1, name: str = "custom"):
        self.at = at
        # The sandbox's "now". Content is anchored at ``at``; moving the clock earlier hides
        # what was published after it, so one scenario can be crawled night after night
        # (T−1 d, then T) with stable post ids.
        self.clock = at
        self.seed = seed
        self.name = name
        self._by_key: dict[tuple[str, str], SandboxAccount] = {}
        for i, spec in enumerate(accounts):
            try:
                acc = SandboxAccount(spec["platform"], str(spec["id"]), spec.get("name", str(spec["id"])), spec, at, seed, self)
            except KeyError as exc:
                raise ValueError(f"scenario {name}: account #{i + 1} lacks {exc}") from None
            self._by_key[(acc.platform, acc.id)] = acc

    def account(self, platform: str, account_id: str) -> SandboxAccount | None:
        return self._by_key.get((platform, str(account_id)))

    def accounts(self, platform: str | None = None) -> Iterator[SandboxAccount]:
        for acc in self._by_key.values():
            if platform is None or acc.platform == platform:
                yield acc

    def __len__(self) -> int:
        return len(self._by_key)


class ScaleScenario(Scenario):
    """N generated accounts, built on demand from the seed: constant memory at any N.

    Account i is Weibo uid 2000000000+i (two thirds) or WeChat biz ``SCALE{i}`` (one third),
    each with ~90 days of history at a deterministic cadence; about one in twenty is dormant.
    """

    WEIBO_BASE = 2_000_000_000

    def __init__(self, n: int, at: datetime, seed: int = 1):
        super().__init__([], at, seed, name=f"scale-{n}")
        self.n = n

    def spec_for(self, i: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:scale:{i}")
        dormant = rng.random() < 0.05
        every = rng.choice([0.5, 1, 1, 2, 3, 5, 9])
        posts = [{"every_days": every, "from_days": 30 if dormant else rng.uniform(0.1, 2), "to_days": 90,
                  "kind": "original" if rng.random() < 0.8 else "repost"}]
        if i % 3 == 2:
            biz = f"SCALE{i:08d}"
            return {"platform": "wechat", "id": biz, "name": f"规模测试公众号{i}", "kind": "订阅号",
                    "feed": "wewe", "subject": f"规模测试单位{i}", "posts": posts}
        uid = str(self.WEIBO_BASE + i)
        return {"platform": "weibo", "id": uid, "name": f"规模测试微博{i}", "verified": True,
                "verified_reason": f"规模测试单位{i}官方微博", "posts": posts}

    def _index(self, platform: str, account_id: str) -> int | None:
        try:
            if platform == "weibo":
                i = int(account_id) - self.WEIBO_BASE
                return i if 0 <= i < self.n and i % 3 != 2 else None
            if platform == "wechat" and account_id.startswith("SCALE"):
                i = int(account_id[5:])
                return i if 0 <= i < self.n and i % 3 == 2 else None
        except ValueError:
            return None
        return None

    def account(self, platform: str, account_id: str) -> SandboxAccount | None:
        i = self._index(platform, str(account_id))
        if i is None:
            return None
        spec = self.spec_for(i)
        return SandboxAccount(spec["platform"], spec["id"], spec["name"], spec, self.at, self.seed, self)

    def accounts(self, platform: str | None = None) -> Iterator[SandboxAccount]:
        for i in range(self.n):
            spec = self.spec_for(i)
            if platform is None or spec["platform"] == platform:
                yield SandboxAccount(spec["platform"], spec["id"], spec["name"], spec, self.at, self.seed, self)

    def __len__(self) -> int:
        return self.n


def load_scenario(source: str | Path = "demo", at: str | datetime | None = None, seed: int = 1) -> Scenario:
    """Load a scenario by name (a folder or file under monitor/sandbox/scenarios/) or path."""
    path = Path(source)
    if not path.exists():
        for candidate in (SCENARIO_DIR / str(source), SCENARIO_DIR / f"{source}.yaml"):
            if candidate.exists():
                path = candidate
                break
        else:
            raise ValueError(f"no scenario named {source!r} (looked in {SCENARIO_DIR})")
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    accounts: list[dict[str, Any]] = []
    file_at = None
    for f in files:
        try:
            data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"scenario file {f}: not valid YAML: {exc}") from None
        accounts.extend(data.get("accounts", []))
        file_at = file_at or data.get("at")
    when = resolve_at(at or file_at or DEMO_AT)
    return Scenario(accounts, when, seed, name=path.stem)
