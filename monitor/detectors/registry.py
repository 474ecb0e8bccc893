"""The detectors, in the order they run. Each module has ``RULES`` (the rule ids it can
emit) and ``detect(ctx, account) -> Iterator[Draft]``; a rule missing from the rule set in
force is simply not emitted."""
from __future__ import annotations

from monitor.detectors import (
    app_availability,
    commercial_ads,
    comments,
    interaction,
    interaction_tests,
    naming,
    no_original,
    no_update,
    silence,
    text_content,
    untimely_update,
    verification,
)

DETECTORS = (no_update, untimely_update, no_original, silence, app_availability,
             verification, interaction, interaction_tests, naming, commercial_ads, text_content, comments)


def detector_rules() -> set[str]:
    return {r for d in DETECTORS for r in d.RULES}
