"""What is due at T: every message the state of the database calls for, each with the
dedupe key that makes it go out once.

Episodes. A finding row exists per night, so "once per (finding, stage)" means once per
*episode* of the same problem: a silence episode is named by the last post before it (the
7-day reminder, the 12-day reminder and the veto of one silence share it, and the account
posting again ends it); any other problem is named by (rule, case). An episode that ended
with an 已恢复 note and comes back later is a new generation (#2, #3 …) and alerts again.

Dedupe keys: ``stage|a<account>|<episode>#<gen>|<recipient key>``; digests and operator
alerts: ``stage|<scope>|<T or streak start>|<recipient key>``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts import messages, recipients
from monitor.alerts.messages import DigestItem, Message
from monitor.alerts.nights import (
    HALF_NIGHT,
    NIGHT,
    checked_ok,
    failed_streak,
    load_nights,
    previous_at,
    stale_feed_services,
    unverifiable,
    MAX_STREAK_LOOKBACK,
)
from monitor.alerts.recipients import Recipient
from monitor.app import App
from monitor.reports.wording import GROUP_ZH, STATE_ZH, facts_text, rule_name
from monitor.web.links import account_url, finding_url, order_url, page_url
from monitor.rules import RuleSet, load_ruleset
from storage.fit import WRITE_FAILED
from storage.models import Account, Alert, EvidencePackage, Finding, Observation, Post, Run

SILENCE_RULES = ("adv.update_reminder", "veto.no_update_2w")
EPISODE_STAGES = ("reminder7", "reminder12", "veto")  # stages that end with an 已恢复 note
STANDING_VETO_STATES = ("auto", "confirmed")  # suspected vetoes wait for a reviewer


@dataclass
class Outgoing:
    dedupe_key: str
    stage: str
    recipient: Recipient
    message: Message
    finding_id: int | None = None
    account_id: int | None = None


def episode_of(f: Finding) -> str:
    if f.rule in SILENCE_RULES:
        return f"silence:{(f.facts or {}).get('latest_post_at') or 'never'}"
    return f"{f.rule}:{f.case_key}"


@dataclass
class _Episode:
    gen: int
    closed: bool
    stage_rows: list[Alert]


def _parse(key: str) -> tuple[str, int, str, int, str] | None:
    """stage, account id, episode, generation, recipient key — or None for other keys."""
    parts = key.split("|")
    if len(parts) != 4 or not parts[1].startswith("a") or "#" not in parts[2]:
        return None
    episode, _, gen = parts[2].rpartition("#")
    return parts[0], int(parts[1][1:]), episode, int(gen), parts[3]


class Planner:
    def __init__(self, app: App, s: Session, at: datetime):
        self.app, self.s, self.at, self.tz = app, s, at, app.tz
        self.settings = app.settings
        self.rules: RuleSet = load_ruleset(app.settings)
        self.findings = list(s.scalars(select(Finding).where(Finding.at == at)))
        nights = max(self.settings.crawl.unverifiable_alert_nights, 1)
        self.nights = load_nights(s, at, min(MAX_STREAK_LOOKBACK, nights + 30))
        self.checked = checked_ok(s, at, self.nights)
        self.episodes = self._load_episodes()
        self._accounts: dict[int, Account] = {}
        self._resolved: list | None = None

    # ── helpers ─────────────────────────────────────────────────────────────
    def account(self, account_id: int) -> Account:
        if account_id not in self._accounts:
            self._accounts[account_id] = self.s.get(Account, account_id)
        return self._accounts[account_id]

    def evidence(self, f: Finding) -> str | None:
        if not f.evidence_id:
            return None
        if self.settings.web.public_url:  # the recipient opens the package on the finding page
            return f"证据包 {f.evidence_id[:12]}…（在线查看页面可下载）"
        pkg = self.s.get(EvidencePackage, f.evidence_id)
        path = pkg.path if pkg else str(Path(self.settings.evidence_dir) / f.evidence_id)
        return f"证据包 {f.evidence_id[:12]}… 位于 {path}"

    def _load_episodes(self) -> dict[tuple[int, str], _Episode]:
        episodes: dict[tuple[int, str], _Episode] = {}
        rows = self.s.scalars(select(Alert).where(Alert.stage.in_((*EPISODE_STAGES, "resolved"))))
        for row in rows:
            parsed = _parse(row.dedupe_key)
            if not parsed:
                continue
            stage, acc, episode, gen, _ = parsed
            ep = episodes.get((acc, episode))
            if ep is None or gen > ep.gen:
                ep = episodes[(acc, episode)] = _Episode(gen, False, [])
            elif gen < ep.gen:
                continue
            if stage == "resolved":
                ep.closed = True
            else:
                ep.stage_rows.append(row)
        return episodes

    def _generation(self, account_id: int, episode: str) -> int:
        ep = self.episodes.get((account_id, episode))
        if ep is None:
            return 1
        return ep.gen + 1 if ep.closed else ep.gen

    def _key(self, stage: str, account_id: int, episode: str, gen: int, r: Recipient) -> str:
        return f"{stage}|a{account_id}|{episode}#{gen}|{r.key}"

    # ── what is due ─────────────────────────────────────────────────────────
    def plan(self) -> list[Outgoing]:
        return [*self.reminders(), *self.vetoes(), *self.resolved(), *self.orders_due(), *self.digests(),
                *self.operator()]

    def reminders(self) -> list[Outgoing]:
        out = []
        for f in self.findings:
            if f.rule != "adv.update_reminder":
                continue
            tier = int((f.facts or {}).get("tier_days") or f.case_key.rstrip("d") or 0)
            if not tier:
                continue
            a, ep = self.account(f.account_id), episode_of(f)
            gen = self._generation(a.id, ep)
            msg = messages.with_link(messages.update_reminder(self.rules, a, f, tier, self.evidence(f), self.at,
                                                              self.tz, self.rules.params.veto_days),
                                     finding_url(self.settings, f.id))
            for r in recipients.manager(self.settings, a):
                out.append(Outgoing(self._key(f"reminder{tier}", a.id, ep, gen, r), f"reminder{tier}", r, msg, f.id, a.id))
        return out

    def vetoes(self) -> list[Outgoing]:
        out = []
        for f in self.findings:
            if not f.rule.startswith("veto.") or f.state not in STANDING_VETO_STATES:
                continue
            a, ep = self.account(f.account_id), episode_of(f)
            gen = self._generation(a.id, ep)
            msg = messages.with_link(messages.veto(self.rules, a, f, self.evidence(f), self.at, self.tz),
                                     finding_url(self.settings, f.id))
            for r in [*recipients.manager(self.settings, a), *recipients.inspectors(self.settings, a.district)]:
                out.append(Outgoing(self._key("veto", a.id, ep, gen, r), "veto", r, msg, f.id, a.id))
        return out

    def orders_due(self) -> list[Outgoing]:
        """Orders the unit still owes, the day before and the day of their deadline, to the
        account's manager and the 属地's inspectors; named by order and day, so each goes once."""
        from monitor.orders.states import OPEN_STATES
        from storage.models import RectificationOrder

        today = self.at.astimezone(self.tz).date()
        out = []
        due = self.s.scalars(select(RectificationOrder).where(
            RectificationOrder.state.in_(OPEN_STATES),
            RectificationOrder.deadline.in_((today, today + timedelta(days=1)))).order_by(RectificationOrder.id))
        for order in due:
            a, days_left = self.account(order.account_id), (order.deadline - today).days
            msg = messages.with_link(messages.order_due(a, order, days_left), order_url(self.settings, order.id))
            phase = "day" if days_left == 0 else "before"
            for r in [*recipients.manager(self.settings, a), *recipients.inspectors(self.settings, a.district)]:
                out.append(Outgoing(f"order_due|o{order.id}|{phase}|{r.key}", "order_due", r, msg, None, a.id))
        return out

    def _resolved_episodes(self) -> list[tuple[int, str, _Episode, str, Finding | None, list[Alert]]]:
        """Episodes that were alerted, ended tonight, and have had no 已恢复 note yet:
        (account, episode, its state, the rule it was alerted as, its finding, the alerts sent)."""
        if self._resolved is not None:
            return self._resolved
        standing = {(f.account_id, episode_of(f)) for f in self.findings if f.state != "dismissed"}
        out = []
        for (acc, episode), ep in self.episodes.items():
            sent = [row for row in ep.stage_rows if row.status == "sent" or row.status == "outbox"]
            if ep.closed or not sent or (acc, episode) in standing or not self._ended(acc, episode):
                continue
            origin = self.s.get(Finding, sent[0].finding_id) if sent[0].finding_id else None
            if episode.startswith("silence:"):
                # Say what was actually sent: a reminder that ends is not a 内容不更新 resolved.
                vetoed = any(row.stage == "veto" for row in sent)
                rule_id = "veto.no_update_2w" if vetoed else "adv.update_reminder"
            else:
                rule_id = origin.rule if origin else episode.split(":")[0]
            out.append((acc, episode, ep, rule_id, origin, sent))
        self._resolved = out
        return out

    def resolved(self) -> list[Outgoing]:
        out = []
        for acc, episode, ep, rule_id, origin, sent in self._resolved_episodes():
            a = self.account(acc)
            msg = messages.with_link(messages.resolved(self.rules, a, rule_id, self.at, self.tz),
                                     account_url(self.settings, a.id))
            got = {_parse(row.dedupe_key)[4] for row in sent}
            for r in [*recipients.manager(self.settings, a), *recipients.inspectors(self.settings, a.district)]:
                if r.key in got:
                    out.append(Outgoing(self._key("resolved", acc, episode, ep.gen, r), "resolved", r, msg,
                                        origin.id if origin else None, acc))
        return out

    def _write_failures(self) -> list[tuple[int, str]]:
        """Accounts whose crawl results tonight could not be stored, with the error."""
        rows = self.s.execute(
            select(Observation.account_id, Observation.reason)
            .where(Observation.observed_at > self.at + HALF_NIGHT - NIGHT, Observation.observed_at <= self.at + HALF_NIGHT,
                   Observation.reason.startswith(WRITE_FAILED))
            .order_by(Observation.account_id, Observation.observed_at)).all()
        return sorted({acc: reason for acc, reason in rows}.items())

    def _ended(self, account_id: int, episode: str) -> bool:
        """An episode ends only on positive proof, never because a crawl failed."""
        if episode.startswith("silence:"):
            since = episode.split(":", 1)[1]
            q = select(Post.id).where(Post.account_id == account_id, Post.published_at <= self.at).limit(1)
            if since != "never":
                q = q.where(Post.published_at > datetime.fromisoformat(since))
            return self.s.scalar(q) is not None
        return account_id in self.checked

    def digests(self) -> list[Outgoing]:
        prev = previous_at(self.s, self.at)
        scored = [f for f in self.findings if f.state != "dismissed" and not f.rule.startswith("adv.")]
        before: list[Finding] = []
        if prev is not None:
            before = [f for f in self.s.scalars(select(Finding).where(Finding.at == prev))
                      if f.state != "dismissed" and not f.rule.startswith("adv.")]
        before_ids = {(f.account_id, f.rule, f.case_key) for f in before}
        new = [self._item(f) for f in scored if (f.account_id, f.rule, f.case_key) not in before_ids]
        # 已恢复 is what the 已恢复 notes of tonight say, no more: a weekly case leaving the check
        # period, or a problem never alerted, has not "recovered".
        gone = [self._linked(acc, messages.resolved_text(self.rules, rule_id), account_url)
                for acc, _, _, rule_id, _, _ in self._resolved_episodes()]
        unchecked = [self._linked(a, self._unchecked_text(a), account_url)
                     for a in sorted(unverifiable(self.s, self.at, self.nights))]
        out = []
        for r, scope in recipients.inspector_scopes(self.settings).items():
            def mine(items):
                return [i for i in items if scope is None or i.account.district in scope]
            n, g, u = mine(new), mine(gone), mine(unchecked)
            if not (n or g or u):
                continue
            label = "全市" if scope is None else "、".join(sorted(scope))
            msg = messages.with_link(messages.digest(label, self.at, self.tz, n, g, u),
                                     page_url(self.settings, "/"))
            out.append(Outgoing(f"digest|{label}|{self.at.isoformat()}|{r.key}", "digest", r, msg))
        return out

    def _item(self, f: Finding) -> DigestItem:
        rule = self.rules.get(f.rule) if f.rule in self.rules else None
        group = GROUP_ZH.get(rule.group if rule else "", "")
        facts = facts_text(f.facts or {}, self.tz)
        text = f"{rule_name(self.rules, f.rule)}（{group}，{STATE_ZH.get(f.state, f.state)}）" + (f"：{facts}" if facts else "")
        return self._linked(f.account_id, text, finding_url, f.id)

    def _linked(self, account_id: int, text: str, url, target: int | None = None) -> DigestItem:
        """A digest line, ending with the link to its finding or account page when public_url is set."""
        link = url(self.settings, target if target is not None else account_id)
        return DigestItem(self.account(account_id), f"{text} {link}" if link else text)

    def _unchecked_text(self, account_id: int) -> str:
        night = self.nights.get(account_id, {}).get(0)
        return f"未能核验（{night.failure_zh}）" if night and night.failure_zh else "未能核验"

    def operator(self) -> list[Outgoing]:
        out = []
        ops = recipients.operator(self.settings)
        tonight = {a: n[0] for a, n in self.nights.items() if 0 in n}
        by_platform: dict[str, list] = defaultdict(list)
        for acc, st in tonight.items():
            by_platform[self.account(acc).platform].append(st)
        for platform, states in sorted(by_platform.items()):
            blocked = sum(st.blocked for st in states)
            if blocked * 2 > len(states):  # "most accounts"
                msg = messages.with_link(messages.platform_blocked(platform, blocked, len(states), self.at, self.tz),
                                         page_url(self.settings, "/runs"))
                out += [Outgoing(f"blocked|{platform}|{self.at.isoformat()}|{r.key}", "blocked", r, msg) for r in ops]
        for acc, reason in self._write_failures():
            msg = messages.write_failed(self.account(acc), reason, self.at, self.tz)
            out += [Outgoing(f"write_failed|a{acc}|{self.at.isoformat()}|{r.key}", "write_failed", r, msg, None, acc)
                    for r in ops]
        for kind, warning in self._stage_warnings():
            msg = messages.with_link(messages.stage_warning(kind, warning, self.at, self.tz),
                                     page_url(self.settings, "/runs"))
            out += [Outgoing(f"stage-warning|{kind}|{self.at.isoformat()}|{r.key}", "stage_warning", r, msg)
                    for r in ops]
        for row in self.s.scalars(select(Alert).where(Alert.status == "unconfirmed").order_by(Alert.id)):
            msg = messages.unconfirmed_delivery(row.stage, row.target, row.title, self.at, self.tz)
            out += [Outgoing(f"unconfirmed|{row.id}|{r.key}", "unconfirmed", r, msg, row.finding_id, row.account_id)
                    for r in ops if not row.dedupe_key.startswith("unconfirmed|")]
        for svc in stale_feed_services(self.s, self.at):
            # Named by the service and the sync it stopped at: one alert per outage.
            episode = svc["since"] or f"unknown-{self.at.astimezone(self.tz).date().isoformat()}"
            msg = messages.feed_service_stale(svc["service"], svc["kind"], svc["state"],
                                              datetime.fromisoformat(svc["since"]) if svc["since"] else None,
                                              svc["reason"], svc["accounts"], self.at, self.tz)
            out += [Outgoing(f"feed_stale|{svc['service']}|{episode}|{r.key}", "feed_stale", r, msg) for r in ops]
        need = self.settings.crawl.unverifiable_alert_nights
        for acc, by_night in sorted(self.nights.items()):
            streak = failed_streak(by_night)
            if need <= 0 or streak < need:
                continue
            a = self.account(acc)
            # The streak's first night names it, so one streak alerts once however long it lasts.
            start = (self.at - timedelta(days=streak - 1)).astimezone(self.tz).date()
            msg = messages.with_link(messages.unverifiable_streak(a, streak, by_night[0].failure_zh, self.at, self.tz),
                                     account_url(self.settings, a.id))
            out += [Outgoing(f"unverifiable|a{acc}|{start.isoformat()}|{r.key}", "unverifiable", r, msg, None, acc)
                    for r in ops]
        return out

    def _stage_warnings(self) -> list[tuple[str, str]]:
        """Warnings of the latest run of each stage at T (a crawl whose child died part-way);
        a successful re-run of that stage clears it."""
        from monitor.cycle.stages import WARNING

        latest: dict[str, Run] = {}
        for run in self.s.scalars(select(Run).where(Run.at == self.at, Run.parent_id.is_not(None),
                                                    Run.outcome == "ok").order_by(Run.id)):
            latest[run.kind] = run
        return [(kind, run.counts[WARNING]) for kind, run in sorted(latest.items()) if (run.counts or {}).get(WARNING)]
