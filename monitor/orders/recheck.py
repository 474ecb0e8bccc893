"""Re-check an account's open orders: crawl it now, judge the cited problems on that fresh
result, close (已复核通过) or reopen (复核未通过) each order.

Never on a failed fetch: when the re-check crawl brings nothing back for the account, or
what it brought back leaves the account 未能核验, every order keeps its state and the
re-check is recorded as 未能核验 with the reason. A cited problem "still holds" when the
detectors, run at the re-check's time point on the stored observations, find the same
rule again for a span that reaches past the 通报 (an empty week before the 通报 stays
empty forever; only what happened since counts), or find the very same post again.
Findings entered by hand are not the detectors' to judge: an order citing only those is
left to the inspector (``monitor orders close``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlalchemy import func, select

from monitor.app import App
from monitor.orders.states import CLOSED, move, record
from monitor.reports.wording import RECHECK_ZH, rule_name, unverifiable_text
from monitor.timeutil import start_of_day
from storage.models import Account, AppCheck, Observation, RectificationOrder


# One account's crawl takes seconds; someone waits for it (the web page, the shell), so a
# hung crawl is cut far sooner than the nightly child's limit.
RECHECK_TIMEOUT = 300.0


class RecheckError(Exception):
    """No such account, or nothing to re-check."""


@dataclass
class OrderVerdict:
    order_id: int
    outcome: str  # passed | reopened | unverifiable | manual
    state: str  # the order's state afterwards
    note: str


@dataclass
class RecheckResult:
    account_id: int
    name: str
    at: datetime
    verdicts: list[OrderVerdict] = field(default_factory=list)


def find_account(s, key: str) -> Account:
    """An account by id, or by its 账号ID (platform_id), which inspectors quote."""
    rows = list(s.scalars(select(Account).where(Account.platform_id == key.strip())))
    if not rows and key.strip().isdigit():
        rows = [a for a in [s.get(Account, int(key))] if a is not None]
    if not rows:
        raise RecheckError(f"no account with id or 账号ID {key!r} (see `monitor accounts list`)")
    if len(rows) > 1:
        raise RecheckError(f"账号ID {key!r} names {len(rows)} accounts on different platforms: give the account id")
    return rows[0]


def crawl_one(app: App, at: datetime, account: Account) -> str | None:
    """Crawl one account now through the usual crawl child; a problem in words, or None."""
    from monitor.crawl import run_crawl
    from monitor.cycle.stages import SPIDER_FOR_PLATFORM

    spider = SPIDER_FOR_PLATFORM.get(account.platform)
    if spider is None:
        return f"暂不支持自动采集{account.platform}平台"
    result = run_crawl(app, at, [spider], account_ids=[account.id],
                       timeout=min(RECHECK_TIMEOUT, app.settings.crawl.child_timeout))
    if result.timed_out:
        return f"复核抓取超过{RECHECK_TIMEOUT:g}秒未完成，已中止，日志 {result.log_path}"
    return None if result.ok else f"复核抓取进程异常退出（{result.returncode}），日志 {result.log_path}"


def _holds(cited: dict, drafts: list, since: datetime) -> bool:
    return any(d.rule == cited["rule"] and (
        (d.window_end is None or d.window_end > since)
        or (d.case_key == cited["case_key"] and d.case_key.startswith("post:"))) for d in drafts)


def recheck_account(app: App, account_id: int, at: datetime, who: str,
                    crawl: Callable[[App, datetime, Account], str | None] = crawl_one) -> RecheckResult:
    from monitor.detectors import Context, detect_drafts
    from monitor.rules import load_ruleset

    with app.session() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise RecheckError(f"no account with id {account_id}")
        open_ids = list(s.scalars(select(RectificationOrder.id).where(
            RectificationOrder.account_id == account.id, RectificationOrder.state != CLOSED)
            .order_by(RectificationOrder.id)))
        if not open_ids:
            raise RecheckError(f"{account.name}（{account.platform_id}）has no open rectification order")
        obs_mark = s.scalar(select(func.max(Observation.id))) or 0
        check_mark = s.scalar(select(func.max(AppCheck.id))) or 0
        s.expunge(account)
    problem = crawl(app, at, account)
    ruleset = load_ruleset(app.settings)
    result = RecheckResult(account.id, account.name, at)
    with app.session() as s:
        account = s.get(Account, account.id)
        fresh = s.scalar(select(func.count()).select_from(Observation).where(
            Observation.account_id == account.id, Observation.id > obs_mark)) or 0
        fresh += s.scalar(select(func.count()).select_from(AppCheck).where(
            AppCheck.account_id == account.id, AppCheck.id > check_mark)) or 0
        ctx = Context(s, at, ruleset, app.tz, accounts=[account])
        status = ctx.statuses[account.id]
        unverified = None
        if not fresh:
            unverified = f"未能核验：复核抓取没有得到该账号的结果{('（' + problem + '）') if problem else ''}。"
        elif not status.verifiable:
            unverified = unverifiable_text(status, app.tz)
        drafts = [] if unverified else detect_drafts(ctx)
        for order in s.scalars(select(RectificationOrder).where(RectificationOrder.id.in_(open_ids))
                               .order_by(RectificationOrder.id)):
            verdict = _judge(order, drafts, unverified, ruleset, start_of_day(order.issued_on, app.tz))
            order.last_recheck = {"at": at.isoformat(), "who": who, "outcome": verdict.outcome, "note": verdict.note}
            if verdict.outcome in ("passed", "reopened"):
                move(order, verdict.outcome, at, who, "recheck", verdict.note)
            else:
                record(order, at, who, "recheck", verdict.note)
            verdict.order_id, verdict.state = order.id, order.state
            result.verdicts.append(verdict)
    return result


def _judge(order: RectificationOrder, drafts: list, unverified: str | None, ruleset, since: datetime) -> OrderVerdict:
    if unverified:
        return OrderVerdict(order.id, "unverifiable", order.state, unverified)
    judged = [f for f in order.findings if f.get("source", "detector") == "detector"]
    if not judged:
        return OrderVerdict(order.id, "manual", order.state, RECHECK_ZH["manual"])
    still = [f for f in judged if _holds(f, drafts, since)]
    if still:
        names = "、".join(dict.fromkeys(rule_name(ruleset, f["rule"]) for f in still))
        return OrderVerdict(order.id, "reopened", "reopened", f"{RECHECK_ZH['reopened']}（{names}）")
    if len(judged) < len(order.findings):  # the rest is for a person to confirm
        return OrderVerdict(order.id, "manual", order.state, "系统可复核的问题已整改；" + RECHECK_ZH["manual"])
    return OrderVerdict(order.id, "passed", CLOSED, RECHECK_ZH["passed"])
