"""Re-check each new veto with a fresh capture before it is raised, then package it.

For every veto finding at T (state ``auto`` or ``confirmed``) that has no package yet:
1. crawl those accounts again, fresh (``monitor.crawl.run_crawl`` with their ids);
2. re-run detection for T (idempotent) and ask the detectors, for those accounts only,
   whether each case still holds;
3. a case that no longer holds is dropped: an unreviewed (``auto``) finding is deleted by
   the detection store itself, exactly as for any case that stops holding; a finding a
   reviewer had confirmed is kept for the record but marked ``dismissed`` by reviewer
   ``system`` with the note "re-check disagreed", because the store never undoes a review;
4. a case that still holds gets its package, with the crawl capture and the re-check
   capture both in it.
Findings entered by hand (source ``manual``) are not the detectors' to judge: they are
packaged without a re-check crawl. An account the re-check crawl did not observe at all
(child crashed) keeps its finding unpackaged, so the next run tries again.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from monitor.app import App
from monitor.evidence.package import RecheckMark, build_package
from monitor.evidence.screenshot import Capturer
from storage.models import Account, AppCheck, Finding, Observation

log = logging.getLogger(__name__)
DISAGREED_NOTE = "re-check disagreed: 复核抓取结果与原检查不一致，否决不成立"


def pending_vetoes(app: App, at: datetime) -> list[int]:
    from monitor.rules import load_ruleset

    ruleset = load_ruleset(app.settings)
    with app.session() as s:
        rows = s.execute(select(Finding.id, Finding.rule).where(
            Finding.at == at, Finding.state.in_(("auto", "confirmed")), Finding.evidence_id.is_(None))
            .order_by(Finding.id)).all()
    return [fid for fid, rule in rows if rule in ruleset and ruleset.get(rule).group == "veto"]


def _still_holding(app: App, at: datetime, account_ids: set[int]) -> set[tuple]:
    from monitor.detectors import Context, detect_drafts
    from monitor.rules import load_ruleset

    with app.session() as s:
        accounts = list(s.scalars(select(Account).where(Account.id.in_(account_ids))))
        ctx = Context(s, at, load_ruleset(app.settings), app.tz, accounts=accounts)
        return {(d.account_id, d.rule, d.case_key) for d in detect_drafts(ctx)}


def recheck_and_package(app: App, at: datetime, run_id: int | None = None) -> dict:
    from monitor.crawl import run_crawl
    from monitor.cycle.stages import SPIDER_FOR_PLATFORM
    from monitor.detectors import run_detection

    counts: Counter = Counter()
    ids = pending_vetoes(app, at)
    counts["vetoes"] = len(ids)
    if not ids:
        return dict(counts)
    with app.session() as s:
        rows = s.execute(select(Finding.id, Finding.account_id, Finding.source, Account.platform)
                         .join(Account, Account.id == Finding.account_id).where(Finding.id.in_(ids))).all()
        mark = RecheckMark(observation_after=s.scalar(select(func.max(Observation.id))) or 0,
                           appcheck_after=s.scalar(select(func.max(AppCheck.id))) or 0,
                           started_at=datetime.now(app.tz))
    detector_rows = [r for r in rows if r.source == "detector"]
    recheck_accounts = {r.account_id for r in detector_rows}
    holding: set[tuple] = set()
    observed: set[int] = set()
    if recheck_accounts:
        by_platform = {r.platform for r in detector_rows}
        spiders = sorted({SPIDER_FOR_PLATFORM[p] for p in by_platform if p in SPIDER_FOR_PLATFORM})
        result = run_crawl(app, at, spiders, run_id=run_id, account_ids=sorted(recheck_accounts))
        counts["recheck_crawl_exit"] = result.returncode
        if not result.ok:
            log.warning("re-check crawl exit %s (timed out: %s); log %s", result.returncode, result.timed_out,
                        result.log_path)
            mark.notes.append(f"复核抓取进程异常退出（{result.returncode}），日志 {result.log_path}")
        with app.session() as s:
            observed = set(s.scalars(select(Observation.account_id).where(
                Observation.id > mark.observation_after, Observation.account_id.in_(recheck_accounts))))
        run_detection(app, at)
        holding = _still_holding(app, at, recheck_accounts)

    to_package: list[int] = []
    with app.session() as s:
        for r in rows:
            if r.source != "detector":
                to_package.append(r.id)
                continue
            if r.account_id not in observed:
                counts["recheck_missing"] += 1  # stays unpackaged; retried next run
                continue
            finding = s.get(Finding, r.id)
            if finding is None:
                counts["dropped"] += 1  # unreviewed and no longer holding: the store removed it
                continue
            if (finding.account_id, finding.rule, finding.case_key) not in holding:
                finding.state = "dismissed"
                finding.reviewer = "system"
                finding.review_note = DISAGREED_NOTE
                finding.reviewed_at = datetime.now(app.tz)
                counts["dropped"] += 1
                continue
            to_package.append(r.id)

    with Capturer(app.settings) as capturer:
        for fid in to_package:
            build_package(app, fid, capturer=capturer, recheck=mark)
            counts["packages"] += 1
        counts["browser_launches"] = capturer.launches
    return dict(counts)
