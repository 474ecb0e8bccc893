"""The stages of one nightly cycle, in order. Each is a small class that calls one domain
package and returns counts; ``monitor.cycle.runner`` records them as Run rows.

Domain packages are imported inside ``run`` so that ``monitor run`` still works (and says
clearly which stage is missing) while a stage's package is being built.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from threading import Event
from typing import Any, Callable, ClassVar

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from monitor.app import App
from monitor.cycle.display import counts_text
from storage.models import Account, Observation

# A stage that completed with something the operator must act on says so under this key
# of its counts: the progress display shows it and the alert stage sends it to the operator.
WARNING = "warning"
# Which spider observes which registry platform.
SPIDER_FOR_PLATFORM = {"weibo": "weibo", "wechat": "wechat", "app": "apps", "toutiao": "toutiao",
                       "douyin": "douyin", "kuaishou": "kuaishou"}


@dataclass
class StageContext:
    app: App
    at: datetime
    cycle_run_id: int | None
    run_id: int | None = None  # this stage's Run row
    stop: Event = field(default_factory=Event)
    report_dir: Path | None = None
    # (accounts done, accounts in all) while a stage works through the accounts (terminal only)
    on_accounts: Callable[[int, int], None] | None = None


class Stage:
    name: ClassVar[str]
    title: ClassVar[str]  # shown in the progress display

    def run(self, ctx: StageContext) -> dict[str, Any]:
        raise NotImplementedError

    def summary(self, counts: dict[str, Any]) -> str:
        """One line in the operator's words for the counts ``run`` returned."""
        return "完成"


class CrawlStage(Stage):
    name = "crawl"
    title = "采集 crawl"

    def run(self, ctx: StageContext) -> dict[str, Any]:
        from monitor.crawl import run_crawl
        from monitor.crawl.night import crawl_time_limit, plan_tonight, record_not_planned

        with ctx.app.session() as s:
            per_platform = dict(s.execute(select(Account.platform, func.count()).where(Account.lifecycle != "注销")
                                          .group_by(Account.platform)).all())
        platforms = set(per_platform)
        crawled = platforms & set(SPIDER_FOR_PLATFORM)
        # Plan the night inside its window first: verdicts for every account that fits,
        # deferred history after; the plan is kept on this Run, the left-out are 未能核验.
        plan = plan_tonight(ctx.app, ctx.at, crawled)
        extra = {"MONITOR_PLAN": plan.spider_plan()}
        ids = None if not plan.unreached else sorted(plan.tasks)
        if ctx.app.settings.crawl.redis_url:
            # Distributed mode: enqueue tonight's accounts and wait for the workers.
            from monitor.distributed import distributed_crawl

            counts = distributed_crawl(ctx, scrapy_settings=extra, account_ids=ids, order=plan.order)
            counts.update(self._plan_counts(ctx, plan, crawled))
            return counts
        spiders = sorted({SPIDER_FOR_PLATFORM[p] for p in crawled})
        if not spiders:
            return {"spiders": 0, "observations": 0}
        if ids == []:
            record_not_planned(ctx.app, ctx.at, plan, crawled, ctx.run_id)
            raise RuntimeError(f"the night's budget fits no account ({plan.budget.per_host} requests per host)")
        limit, window = crawl_time_limit(ctx.app, ctx.at)
        # Accounts start in the plan's order (distributed: the shared queue's order), so a night
        # that runs short (a slow site, estimates off) loses the least urgent, not pending vetoes.
        extra["MONITOR_ORDER"] = plan.order
        # Spiders split over the crawl children by their number of accounts.
        weights = {SPIDER_FOR_PLATFORM[p]: float(per_platform[p]) for p in crawled}
        result = run_crawl(ctx.app, ctx.at, spiders, run_id=ctx.run_id, account_ids=ids, extra=extra,
                           timeout=limit, on_tick=self._watcher(ctx, platforms), weights=weights)
        plan_counts = self._plan_counts(ctx, plan, crawled)
        with ctx.app.session() as s:
            rows = s.execute(select(Observation.outcome, func.count()).where(Observation.run_id == ctx.run_id)
                             .group_by(Observation.outcome)).all()
        counts: dict[str, Any] = {f"observations_{o}": n for o, n in rows}
        counts["observations"] = sum(n for _, n in rows)
        counts["spiders"] = len(spiders)
        counts.update(plan_counts)
        if not result.ok:
            from monitor.crawl.night import record_cut_at_window_end
            from monitor.crawl.unreached import crawl_death, record_unreached

            counts["child_exit"] = result.returncode
            counts["child_timed_out"] = result.timed_out
            counts["child_memory_exceeded"] = result.memory_exceeded
            cut_at_window_end = result.timed_out and window is not None
            if not counts["observations"] and not cut_at_window_end:
                # Nothing observed at all: the stage itself failed (the operator must look).
                raise RuntimeError(f"crawl child failed (exit {result.returncode}, "
                                   f"timed out: {result.timed_out}); log: {result.log_path}")
            # The night goes on for the accounts that were observed; the rest are 未能核验
            # tonight with the reason, and the alert stage tells the operator (WARNING).
            if cut_at_window_end:
                why = f"the crawl reached the end of [schedule] window {window}"
                missed = record_cut_at_window_end(ctx.app, ctx.at, crawled, ctx.run_id, window)
            else:
                why = crawl_death(result)
                missed = record_unreached(ctx.app, ctx.at, crawled, ctx.run_id, why)
            counts["not_reached"] = len(missed)
            counts["plan"]["not_reached"] = len(missed)
            counts[WARNING] = f"{why}; {len(missed)} account(s) not reached, 未能核验 tonight; log: {result.log_path}"
        return counts


    @staticmethod
    def _plan_counts(ctx: StageContext, plan, crawled: set[str]) -> dict[str, Any]:
        """The plan as the Run keeps it, and a 未能核验 observation for each account it left out."""
        from monitor.crawl.night import record_not_planned

        summary = plan.summary()
        summary["not_in_plan"] = len(record_not_planned(ctx.app, ctx.at, plan, crawled, ctx.run_id))
        out: dict[str, Any] = {"plan": summary}
        if plan.unreached:
            out[WARNING] = (f"{len(plan.unreached)} account(s) did not fit tonight's request budget "
                            f"({summary['per_host_budget']} per host): 未能核验 (未在本夜计划内完成)")
        return out

    def _watcher(self, ctx: StageContext, platforms: set[str]) -> Callable[[], None] | None:
        """Reads how many accounts have their observation stored so far (the crawl child
        writes them one account at a time) and moves the per-account bar."""
        if ctx.on_accounts is None:
            return None
        with ctx.app.session() as s:
            total = s.scalar(select(func.count()).select_from(Account).where(
                Account.lifecycle != "注销", Account.platform.in_(sorted(platforms & set(SPIDER_FOR_PLATFORM))))) or 0

        def tick() -> None:
            try:
                with ctx.app.session() as s:
                    done = s.scalar(select(func.count(func.distinct(Observation.account_id)))
                                    .where(Observation.run_id == ctx.run_id)) or 0
            except OperationalError:  # a busy database only delays the bar, never the crawl
                return
            ctx.on_accounts(min(done, total), total)
        return tick

    def summary(self, counts: dict[str, Any]) -> str:
        if not counts.get("observations") and not counts.get("spiders"):
            return "没有需要采集的账号"
        words = {"observations_ok": "成功", "observations_blocked": "被拦截", "observations_not_found": "账号不存在",
                 "observations_error": "出错"}
        text = f"采集{counts.get('observations', 0)}次（{counts_text(counts, words) or '无'}）"
        plan = counts.get("plan") or {}
        if plan.get("unreached"):
            text += f"，{plan['unreached']}个账号未在本夜计划内完成"
        return text


class DetectStage(Stage):
    name = "detect"
    title = "检测 detect"

    def run(self, ctx: StageContext) -> dict[str, Any]:
        from monitor.detectors import run_detection

        return dict(run_detection(ctx.app, ctx.at) or {})

    def summary(self, counts: dict[str, Any]) -> str:
        text = f"检查{counts.get('accounts', 0)}个账号，发现{counts.get('findings', 0)}项"
        if counts.get("unverifiable"):
            text += f"，{counts['unverifiable']}个账号未能核验"
        if counts.get("texts_checked"):
            text += f"；核对{counts['texts_checked']}条新内容的文字，发现{counts.get('text_hits', 0)}处疑似问题"
        return text


class EvidenceStage(Stage):
    name = "evidence"
    title = "取证 evidence"

    def run(self, ctx: StageContext) -> dict[str, Any]:
        from monitor.evidence import recheck_and_package

        return dict(recheck_and_package(ctx.app, ctx.at, run_id=ctx.run_id) or {})

    def summary(self, counts: dict[str, Any]) -> str:
        if not counts.get("vetoes"):
            return "没有新的单项否决，无需取证"
        return f"{counts['vetoes']}项单项否决复核，生成证据包{counts.get('packages', 0)}个" + (
            f"，{counts['dropped']}项复核未通过已撤销" if counts.get("dropped") else "")


class ScoreStage(Stage):
    name = "score"
    title = "评分 score"

    def run(self, ctx: StageContext) -> dict[str, Any]:
        from monitor.scoring import score_all

        cards = score_all(ctx.app, ctx.at)
        counts = Counter(c.verdict for c in cards)
        return {"accounts": len(cards), **{f"verdict_{k}": v for k, v in counts.items()}}

    def summary(self, counts: dict[str, Any]) -> str:
        words = {"verdict_合格": "合格", "verdict_不合格": "不合格", "verdict_未能核验": "未能核验"}
        return f"{counts.get('accounts', 0)}个账号（{counts_text(counts, words) or '无'}）"


class AlertStage(Stage):
    name = "alert"
    title = "提醒 alert"

    def run(self, ctx: StageContext) -> dict[str, Any]:
        from monitor.alerts import send_alerts

        return dict(send_alerts(ctx.app, ctx.at) or {})

    def summary(self, counts: dict[str, Any]) -> str:
        if not counts.get("due"):
            return "没有需要发送的提醒"
        words = {"sent": "已发送", "outbox": "仅写入发件箱（未配置发送渠道）", "failed": "发送失败",
                 "already_sent": "此前已发送"}
        return f"{counts['due']}条提醒（{counts_text(counts, words)}）"


class ReportStage(Stage):
    name = "report"
    title = "报告 report"

    def run(self, ctx: StageContext) -> dict[str, Any]:
        from monitor.reports import write_report

        out = ctx.report_dir or Path(ctx.app.settings.report_dir) / ctx.at.strftime("%Y%m%dT%H%M")
        paths = write_report(ctx.app, ctx.at, out)
        return {k: str(v) for k, v in dict(paths or {}).items()}

    def summary(self, counts: dict[str, Any]) -> str:
        return str(counts.get("html") or "报告已生成")


STAGES: list[type[Stage]] = [CrawlStage, DetectStage, EvidenceStage, ScoreStage, AlertStage, ReportStage]
STAGE_NAMES = [s.name for s in STAGES]
