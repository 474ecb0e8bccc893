"""What a person watching a cycle sees: on a terminal a rich progress display (the stages,
and inside the crawl one bar over the accounts); otherwise one human line per stage."""
from __future__ import annotations

import sys
import time
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class CycleDisplay:
    def __init__(self, show: bool, total: int, console: Console | None = None):
        self.show = show
        self.total = total
        self.console = console or Console(stderr=True)
        self.progress: Progress | None = None
        self._cycle = self._stage = None
        self._started = 0.0

    def __enter__(self) -> "CycleDisplay":
        if self.show:
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), console=self.console)
            self.progress.start()
            self._cycle = self.progress.add_task("监测周期 nightly cycle", total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def started(self, stage) -> None:
        self._started = time.monotonic()
        if self.progress is not None:
            self._stage = None

    def accounts(self, stage) -> Callable[[int, int], None] | None:
        """A callback (done, total) that moves the per-account bar of ``stage``; None off a terminal."""
        if self.progress is None:
            return None

        def update(done: int, total: int) -> None:
            if self._stage is None:
                self._stage = self.progress.add_task(f"  {stage.title}（账号）", total=total)
            self.progress.update(self._stage, completed=done, total=total)
        return update

    def finished(self, stage, result) -> None:
        took = time.monotonic() - self._started
        ok = result.outcome == "ok"
        text = stage.summary(result.counts) if ok else f"失败：{result.message}"
        line = f"{'✓' if ok else '✗'} {stage.title}：{text}（{took:.1f} 秒）"
        warning = result.message if ok and result.message else None
        if self.progress is None:
            print(line, file=sys.stderr)
            if warning:
                print(f"⚠ {stage.title}：{warning}", file=sys.stderr)
            return
        if self._stage is not None:
            self.progress.remove_task(self._stage)
            self._stage = None
        self.progress.console.print(line, highlight=False)
        if warning:
            self.progress.console.print(f"[bold yellow]⚠ {stage.title}：{warning}[/]", highlight=False)
        self.progress.advance(self._cycle)


def counts_text(counts: dict[str, Any], words: dict[str, str]) -> str:
    """'成功15，被拦截1' from the counts named in ``words`` (in that order), skipping zeros."""
    return "，".join(f"{label}{counts[key]}" for key, label in words.items() if counts.get(key))
