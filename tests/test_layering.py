"""DESIGN.md's arrows: schedules -> monitor -> spiders -> storage, and monitor -> storage.
storage imports nothing of ours; spiders never import monitor; nothing imports schedules."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "storage": {"monitor", "spiders", "schedules"},
    "spiders": {"monitor", "schedules"},
    "monitor": {"schedules"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_follow_the_design_arrows(package):
    offenders = {str(p.relative_to(REPO)): sorted(_imports(p) & FORBIDDEN[package])
                 for p in (REPO / package).rglob("*.py") if _imports(p) & FORBIDDEN[package]}
    assert offenders == {}
