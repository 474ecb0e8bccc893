"""The README's config example documents every key with its real default."""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from pydantic import BaseModel

from monitor.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("All keys with their defaults:", 1)[1]
    return re.search(r"```toml\n(.*?)```", section, re.S)[1]


def _paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, f in model.model_fields.items():
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out |= _paths(ann, f"{prefix}{name}.")
        else:
            out.add(prefix + name)
    return out


def _flatten(d: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in d.items():
        if isinstance(v, dict) and v and f"{prefix}{k}" not in ("alerts.inspectors",):
            out |= _flatten(v, f"{prefix}{k}.")
        else:
            out.add(prefix + k)
    return out


def test_readme_example_lists_every_key(monkeypatch):
    for key in list(os.environ):
        if key.startswith("MONITOR_"):
            monkeypatch.delenv(key)
    example = _example()
    # The example shows the defaults: loaded as is, it changes nothing.
    assert Settings(**tomllib.loads(example)).model_dump() == Settings().model_dump()
    # Optional secrets appear commented out; with them, every key is there.
    uncommented = re.sub(r"^# (\w+ = )", r"\1", example, flags=re.M)
    documented = _flatten(tomllib.loads(uncommented))
    missing = _paths(Settings) - documented
    assert not missing, f"config keys missing from README.md's example: {sorted(missing)}"
    assert not documented - _paths(Settings), "README documents keys that do not exist"


def test_readme_shows_the_sandbox_settings_monitor_sandbox_prints():
    from monitor.sandbox import DEMO_BASE
    from monitor.sandbox.settings_toml import sandbox_toml

    text = README.read_text(encoding="utf-8")
    section = text.split("### Pointing the product at the sandbox", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.S)[1]
    assert block == sandbox_toml(DEMO_BASE)
