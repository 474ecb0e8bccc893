"""The nightly cycle: crawl → detect → evidence → score → alert → report."""
from monitor.cycle.runner import CycleBusy, CycleResult, run_cycle
from monitor.cycle.stages import STAGE_NAMES

__all__ = ["CycleBusy", "CycleResult", "STAGE_NAMES", "run_cycle"]
