"""Annex 2 as data: the rule set the detectors and the scorer share.

``load_ruleset(settings)`` reads the built-in Nantong file (``annex2_nantong.toml``) or the
file named by config ``[rules] file``; ``RuleSet.get(rule_id)`` gives one ``Rule``.
"""
from monitor.rules.loader import (
    BUILTIN_RULES_FILE,
    DECIDED_BY,
    GROUPS,
    Parameters,
    Rule,
    RuleSet,
    RuleSetError,
    load_ruleset,
    load_ruleset_file,
)

__all__ = [
    "BUILTIN_RULES_FILE", "DECIDED_BY", "GROUPS", "Parameters", "Rule", "RuleSet",
    "RuleSetError", "load_ruleset", "load_ruleset_file",
]
