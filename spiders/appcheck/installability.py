"""Rules current Android phones enforce at install time (see research/app_checks.md §3.3)."""
from __future__ import annotations

MIN_TARGET_SDK = 23  # Android 14 refuses to install apps targeting below this
R = 30  # Android 11: v2+ signature and a stored, aligned resources.arsc for targetSdk >= 30


def installability_problems(target_sdk: int | None, schemes: list[str], arsc: dict | None) -> list[str]:
    problems = []
    if target_sdk is not None and target_sdk < MIN_TARGET_SDK:
        problems.append(f"target_sdk {target_sdk} < {MIN_TARGET_SDK}: Android 14+ refuses to install it")
    if target_sdk is not None and target_sdk >= R:
        if schemes == ["v1"]:
            problems.append(f"target_sdk {target_sdk} >= {R} with only a v1 signature: Android 11+ needs v2 or later")
        if arsc is not None and not arsc["stored"]:
            problems.append(f"target_sdk {target_sdk} >= {R} with a compressed resources.arsc")
        elif arsc is not None and not arsc["aligned"]:
            problems.append(f"target_sdk {target_sdk} >= {R} with resources.arsc not 4-byte aligned (offset {arsc['offset']})")
    return problems
