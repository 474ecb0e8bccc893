"""Read and validate a rule file; every problem names the file, the rule and the field."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.config import ConfigError, Settings, parse_duration

BUILTIN_RULES_FILE = Path(__file__).with_name("annex2_nantong.toml")
GROUPS = ("veto", "deduction", "advisory")
DECIDED_BY = ("detector", "suspected", "reviewer")


class RuleSetError(ConfigError):
    """A rule file that cannot be used; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    id: str = Field(pattern=r"^(veto|ded|adv)\.[a-z0-9_]+$")
    group: Literal["veto", "deduction", "advisory"]
    name_zh: str = Field(min_length=1)
    detail_zh: str = Field(min_length=1)
    points: int = Field(default=0, ge=0)
    cap: int = Field(default=0, ge=0)
    decided_by: Literal["detector", "suspected", "reviewer"]

    @model_validator(mode="after")
    def _points(self) -> "Rule":
        if self.group == "deduction":
            if self.points <= 0 or self.cap <= 0:
                raise ValueError("a deduction rule needs points > 0 and cap > 0")
            if self.cap < self.points:
                raise ValueError(f"cap {self.cap} is below points {self.points}")
        elif self.points or self.cap:
            raise ValueError(f"a {self.group} rule takes no points or cap")
        return self

    @property
    def initial_state(self) -> str:
        """The state a detector gives a new finding of this rule."""
        return "auto" if self.decided_by == "detector" else "suspected"

    @property
    def scored(self) -> bool:
        return self.group != "advisory"


class Parameters(_Strict):
    veto_days: int = Field(gt=0)
    min_account_age_days: int = Field(ge=0)
    check_period_weeks: int = Field(gt=0)
    original_window_days: int = Field(gt=0)
    reminder_days: list[int]
    dormant_days: list[int]
    app_confirm_checks: int = Field(ge=1)
    app_confirm_interval: str
    # veto.no_interaction from comment permissions: the posts of the last N days, at least
    # this many with a known permission, every one closed (one closed post is no finding).
    interaction_recent_days: int = Field(14, gt=0)
    interaction_min_posts: int = Field(3, ge=2)

    @field_validator("app_confirm_interval")
    @classmethod
    def _interval(cls, v: str) -> str:
        parse_duration(v)
        return v

    @field_validator("reminder_days", "dormant_days")
    @classmethod
    def _tiers(cls, v: list[int]) -> list[int]:
        if any(d <= 0 for d in v):
            raise ValueError("tiers must be positive day counts")
        return sorted(set(v))

    @property
    def app_confirm_timedelta(self) -> timedelta:
        return parse_duration(self.app_confirm_interval)


class Scoring(_Strict):
    full_score: int = Field(gt=0)
    pass_mark: int = Field(ge=0)


class Lexicon(_Strict):
    """Word lists the content and naming detectors use (tuples: hashable, so compiled
    patterns can be cached per lexicon)."""
    ad_labels: tuple[str, ...]
    shopping_domains: tuple[str, ...]
    shopping_cues: tuple[str, ...]
    ad_whitelist: tuple[str, ...]
    internal_unit_suffixes: tuple[str, ...]
    # Endings that mark an internal unit even after an abbreviated agency name
    # (南通发改规划科): agencies themselves are never named …科 or …股.
    internal_unit_endings: tuple[str, ...] = ()
    internal_unit_markers: tuple[str, ...]
    agency_stems: tuple[str, ...]
    generic_terms: tuple[str, ...]
    abbreviations: tuple[tuple[str, str], ...]
    verification_suffixes: tuple[str, ...]


class _File(_Strict):
    name: str
    source: str = ""
    scoring: Scoring
    parameters: Parameters
    lexicon: Lexicon
    rules: list[Rule] = Field(min_length=1)


@dataclass(frozen=True)
class RuleSet:
    name: str
    source: str
    path: Path
    scoring: Scoring
    params: Parameters
    lexicon: Lexicon
    _rules: dict[str, Rule] = field(repr=False)

    def get(self, rule_id: str) -> Rule:
        try:
            return self._rules[rule_id]
        except KeyError:
            raise KeyError(f"rule {rule_id!r} is not in the rule set {self.path}") from None

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def group(self, group: str) -> list[Rule]:
        return [r for r in self if r.group == group]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleSetError(f"rule file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError(f"rule file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(f"rule file {path} is not valid TOML: {exc}") from None


def _where(raw: dict[str, Any], loc: tuple) -> str:
    """'rules[3] (ded.foo).points' from a pydantic error location."""
    parts: list[str] = []
    i = 0
    while i < len(loc):
        part = loc[i]
        if part == "rules" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            idx = loc[i + 1]
            rows = raw.get("rules") or []
            rid = rows[idx].get("id") if idx < len(rows) and isinstance(rows[idx], dict) else None
            parts.append(f"rules[{idx}]" + (f" ({rid})" if rid else ""))
            i += 2
            continue
        parts.append(str(part))
        i += 1
    return ".".join(parts) or "(file)"


def load_ruleset_file(path: str | Path, settings: Settings | None = None) -> RuleSet:
    """Load one rule file. Sections a city file leaves out fall back to the built-in file;
    app confirmation parameters fall back to config ``[rules]``."""
    path = Path(path)
    raw = _read_toml(path)
    base = raw if path.resolve() == BUILTIN_RULES_FILE.resolve() else _read_toml(BUILTIN_RULES_FILE)
    cfg = (settings or Settings()).rules
    merged = dict(raw)
    for section in ("scoring", "parameters", "lexicon"):
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise RuleSetError(f"rule file {path}: [{section}] must be a table")
        merged[section] = {**base.get(section, {}), **given}
    merged["parameters"].setdefault("app_confirm_checks", cfg.app_confirm_checks)
    merged["parameters"].setdefault("app_confirm_interval", cfg.app_confirm_interval)
    merged.setdefault("name", path.stem)
    try:
        parsed = _File(**merged)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{_where(merged, tuple(err['loc']))}: {msg}")
        raise RuleSetError(f"bad rule file {path}: " + "; ".join(problems)) from None
    except TypeError as exc:
        raise RuleSetError(f"bad rule file {path}: {exc}") from None
    rules: dict[str, Rule] = {}
    for idx, rule in enumerate(parsed.rules):
        if rule.id in rules:
            raise RuleSetError(f"bad rule file {path}: rules[{idx}] ({rule.id}): duplicate id")
        rules[rule.id] = rule
    return RuleSet(parsed.name, parsed.source, path, parsed.scoring, parsed.parameters,
                   parsed.lexicon, rules)


def load_ruleset(settings: Settings) -> RuleSet:
    """The rule set in force: config ``[rules] file`` or the built-in Annex 2 set."""
    file = settings.rules.file.strip()
    return load_ruleset_file(Path(file) if file else BUILTIN_RULES_FILE, settings)
