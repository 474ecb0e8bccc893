"""Registry rows for a scenario's accounts pointed at a running sandbox."""
from __future__ import annotations

from pathlib import Path

from monitor.sandbox.server import DEMO_BASE

DEMO_REGISTRY = Path(__file__).resolve().parents[1] / "demo" / "registry.csv"


def demo_registry_text(base: str = DEMO_BASE) -> str:
    """The demo registry with its sandbox URLs (written for port 18765) moved to ``base``."""
    return DEMO_REGISTRY.read_text(encoding="utf-8-sig").replace(DEMO_BASE, base.rstrip("/"))


def write_demo_registry(path: Path, base: str = DEMO_BASE) -> Path:
    path.write_text(demo_registry_text(base), encoding="utf-8")
    return path
