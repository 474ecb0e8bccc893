"""Build one evidence package for one finding.

A package is a write-once folder under ``evidence_dir`` named by the SHA-256 of its
``manifest.json``. It is assembled in a temporary folder beside the final one, hashed, and
moved into place with one atomic rename; if a folder of that name exists already, the
identical package is reused. Its files are made read-only once in place.

Contents: ``captures.warc.gz`` (the WARC records the finding rests on, copied byte for
byte from the crawl's WARC files: the original crawl capture and the re-check capture),
``screenshot.png`` + ``page.html`` (the account's public page rendered in Chromium),
``facts.json``, ``summary.html`` (提取笔录), ``tsa-ca.pem`` (when configured), then
``manifest.json`` and, outside the hashed set, ``manifest.tsr``.

A screenshot that fails (timeout, blank page, tofu) does not stop the package: the WARC
records and facts still stand, and the manifest says what failed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from monitor.app import App
from monitor.evidence.manifest import FORMAT, MANIFEST, TSR, file_entries, manifest_bytes, tool_versions
from monitor.evidence.screenshot import DEVICE_SCALE, Capturer, PageCapture
from monitor.evidence.summary import render_summary
from monitor.evidence.tsa import TimestampError, request_timestamp
from monitor.evidence.warc_records import copy_records
from monitor.reports.wording import text_hit_text
from storage.models import Account, AppCheck, EvidencePackage, Finding, Observation

PLATFORM_ZH = {"weibo": "新浪微博", "wechat": "微信公众号", "app": "移动客户端APP", "toutiao": "今日头条",
               "douyin": "抖音", "kuaishou": "快手", "other": "其他"}
ROLE_ZH = {"crawl": "监测抓取", "recheck": "复核抓取"}
# Observations of the night of T: what the finding was decided on.
CRAWL_LOOKBACK = timedelta(days=1)
MAX_CITED = 20


class EvidenceError(Exception):
    """A package cannot be built (unknown finding …); the message names the row."""


@dataclass
class RecheckMark:
    """What the re-check crawl added: rows with ids above these belong to the re-check."""
    observation_after: int
    appcheck_after: int
    started_at: datetime
    notes: list[str] = field(default_factory=list)


def public_page_url(app: App, account: Account, facts: dict) -> str | None:
    """The page a person would open to see the account: Weibo /u/UID, a WeChat account's
    latest article (it shows the date) or its aboutbiz page, an app's landing page."""
    p = app.settings.platforms
    if facts.get("post_url"):  # a finding about one post: the post itself
        return facts["post_url"]
    if account.platform == "weibo":
        return account.profile_url or f"{p.weibo.base_url.rstrip('/')}/u/{account.platform_id}"
    if account.platform == "wechat":
        return (facts.get("latest_post_url") or account.profile_url
                or f"{p.wechat.base_url.rstrip('/')}/mp/aboutbiz?__biz={account.platform_id}")
    if account.platform == "app":
        download = account.download_url or ""
        # A direct APK link downloads instead of rendering: prefer the registered page.
        if account.profile_url or download.lower().split("?")[0].endswith(".apk"):
            return account.profile_url or None
        return download or None
    return account.profile_url


def _summary_zh(finding: Finding, rule_name: str, tz) -> str:
    f = finding.facts or {}
    if finding.rule == "veto.no_update_2w":
        latest = f.get("latest_post_at") or "未见任何发布"
        return f"监测时间点前2周内无更新（窗口内发布 {f.get('posts_in_window', 0)} 条）；最新发布时间：{latest}"
    if f.get("text_rule"):
        return f"{rule_name}：{text_hit_text(f, tz)}"
    return rule_name or finding.rule


def _obs_entry(o: Observation, role: str, tz) -> dict:
    return {"role": role, "role_zh": ROLE_ZH[role], "observation_id": o.id, "kind": o.kind, "outcome": o.outcome,
            "url": o.url, "observed_at": o.observed_at.astimezone(tz).isoformat(), "http_status": o.http_status,
            "reason": o.reason, "exhaustive": o.exhaustive, "capture_ref": o.capture_ref,
            "covered_from": o.covered_from.astimezone(tz).isoformat() if o.covered_from else None}


def _appcheck_entry(c: AppCheck, role: str, tz) -> dict:
    return {"role": role, "role_zh": ROLE_ZH[role], "app_check_id": c.id, "kind": f"app:{c.channel}",
            "outcome": c.outcome, "reason": c.reason, "url": c.url,
            "observed_at": c.checked_at.astimezone(tz).isoformat(), "http_status": None,
            "capture_ref": c.capture_ref}


def _checks(s, finding: Finding, recheck: RecheckMark | None, tz) -> list[dict]:
    since = finding.at - CRAWL_LOOKBACK
    facts_obs = (finding.facts or {}).get("observation_id")
    obs = list(s.scalars(select(Observation).where(
        Observation.account_id == finding.account_id,
        (Observation.observed_at > since) | (Observation.id == (facts_obs or -1)))
        .order_by(Observation.id.desc()).limit(MAX_CITED)))
    apps = list(s.scalars(select(AppCheck).where(AppCheck.account_id == finding.account_id,
                                                  AppCheck.checked_at > since)
                          .order_by(AppCheck.id.desc()).limit(MAX_CITED)))
    out = []
    body = (finding.facts or {}).get("capture_ref")
    if body and body not in {o.capture_ref for o in obs}:
        # The answer a post's text was read from (a text finding): what the post said then.
        out.append({"role": "crawl", "role_zh": ROLE_ZH["crawl"], "kind": "post_text", "outcome": "ok",
                    "url": (finding.facts or {}).get("post_url"), "observed_at": "—", "http_status": None,
                    "capture_ref": body})
    for o in sorted(obs, key=lambda o: o.id):
        role = "recheck" if recheck and o.id > recheck.observation_after else "crawl"
        out.append(_obs_entry(o, role, tz))
    for c in sorted(apps, key=lambda c: c.id):
        role = "recheck" if recheck and c.id > recheck.appcheck_after else "crawl"
        out.append(_appcheck_entry(c, role, tz))
    return out


def _make_read_only(folder: Path) -> None:
    for p in folder.iterdir():
        if p.is_file():
            p.chmod(0o444)


def build_package(app: App, finding_id: int, *, capturer: Capturer | None = None,
                  recheck: RecheckMark | None = None, force: bool = False) -> str:
    """Build (or reuse) the package of one finding; return its id (the manifest's SHA-256).
    Sets ``Finding.evidence_id`` and inserts the ``EvidencePackage`` row."""
    tz = app.tz
    root = Path(app.settings.evidence_dir)
    with app.session() as s:
        finding = s.get(Finding, finding_id)
        if finding is None:
            raise EvidenceError(f"finding {finding_id} does not exist")
        if finding.evidence_id and not force and (root / finding.evidence_id).is_dir():
            return finding.evidence_id
        account = s.get(Account, finding.account_id)
        checks = _checks(s, finding, recheck, tz)
        facts = dict(finding.facts or {})
        try:
            from monitor.rules import load_ruleset
            rule_name = load_ruleset(app.settings).get(finding.rule).name_zh
        except Exception:  # a manual finding of a rule no longer in the set still gets evidence
            rule_name = ""
        finding_info = {
            "id": finding.id, "rule": finding.rule, "rule_name": rule_name, "state": finding.state,
            "source": finding.source, "case_key": finding.case_key, "confidence": finding.confidence,
            "at": finding.at.astimezone(tz).isoformat(),
            "window": [d.astimezone(tz).isoformat() for d in (finding.window_start, finding.window_end) if d],
            "latest_post_at": facts.get("latest_post_at"), "latest_post_url": facts.get("latest_post_url"),
            "summary_zh": _summary_zh(finding, rule_name, tz),
        }
        account_info = {
            "id": account.id, "name": account.name, "observed_name": account.observed_name,
            "platform": account.platform, "platform_zh": PLATFORM_ZH.get(account.platform, account.platform),
            "platform_id": account.platform_id, "host_unit": account.host_unit, "district": account.district,
            "profile_url": account.profile_url, "feed_url": account.feed_url, "download_url": account.download_url,
        }
        page_url = public_page_url(app, account, facts)
        names = [n for n in dict.fromkeys([account.observed_name or account.name]) if n]

    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        started = datetime.now(tz)
        notes: list[str] = list(recheck.notes if recheck else [])
        warc_entries = copy_records(app.settings.warc_dir, [c["capture_ref"] for c in checks], tmp / "captures.warc.gz")
        by_ref = {c["capture_ref"]: c["role"] for c in checks}
        for e in warc_entries:
            e["role"] = by_ref.get(e["capture_ref"])
            if "error" in e:
                notes.append(f"原始抓取记录无法读取：{e['error']}")
        if not any("error" not in e for e in warc_entries):
            notes.append("无可引用的原始 HTTP 抓取记录（WARC）")
        if recheck is None:
            notes.append("本证据包未经复核抓取（按需生成）")
        elif not any(c["role"] == "recheck" for c in checks):
            notes.append("复核抓取未产生该账号的检查记录")

        capture = _screenshot(app, capturer, page_url, names, tz)
        notes.extend(capture.notes)
        if capture.png is not None:
            (tmp / "screenshot.png").write_bytes(capture.png)
        if capture.html is not None:
            (tmp / "page.html").write_text(capture.html, encoding="utf-8")
        screenshot_info = {
            "url": page_url, "final_url": capture.final_url, "http_status": capture.http_status,
            "ok": capture.ok, "timed_out": capture.timed_out, "checks": capture.checks,
            "started_at": capture.started_at.isoformat(),
            "finished_at": capture.finished_at.isoformat() if capture.finished_at else None,
        }
        facts_doc = {"account": account_info, "finding": finding_info, "facts": facts,
                     "checks": checks, "screenshot": screenshot_info,
                     "recheck": ({"performed": True, "started_at": recheck.started_at.isoformat()}
                                 if recheck else {"performed": False})}
        (tmp / "facts.json").write_text(json.dumps(facts_doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                        encoding="utf-8")
        ca_file = app.settings.evidence.tsa_ca_file
        if app.settings.evidence.tsa_url and ca_file:
            shutil.copyfile(ca_file, tmp / "tsa-ca.pem")

        manifest = {
            "format": FORMAT, "finding": finding_info, "account": account_info,
            "started_at": started.isoformat(), "finished_at": datetime.now(tz).isoformat(),
            "operator": "system（monitor 自动取证）",
            "environment": {"tools": tool_versions(capture.browser_version),
                            "host": socket.gethostname(), "user_agent": app.settings.crawl.user_agent,
                            "viewport": {"width": app.settings.evidence.viewport_width,
                                         "height": app.settings.evidence.viewport_height},
                            "device_scale_factor": DEVICE_SCALE, "timezone": app.settings.timezone},
            "captures": {"warc": warc_entries, "screenshot": screenshot_info},
            "checks": checks, "screenshot": screenshot_info, "notes": notes,
        }
        evidence_files = file_entries(tmp)
        (tmp / "summary.html").write_text(render_summary(manifest, evidence_files), encoding="utf-8")
        manifest["files"] = file_entries(tmp)
        data = manifest_bytes(manifest)
        package_id = hashlib.sha256(data).hexdigest()
        (tmp / MANIFEST).write_bytes(data)

        db_note = "; ".join(notes) or None
        if app.settings.evidence.tsa_url:
            from monitor.secrets import scrubber

            try:
                (tmp / TSR).write_bytes(request_timestamp(app.settings.evidence.tsa_url, package_id,
                                                          timeout=app.settings.evidence.capture_timeout))
            except TimestampError as exc:
                # A missing timestamp must be visible, never silent (research §5.3 #7).
                db_note = "; ".join(filter(None, [db_note, f"可信时间戳申请失败：{scrubber(app.settings).text(str(exc))}"]))

        final = root / package_id
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # the identical package exists: reuse it
        else:
            _make_read_only(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    with app.session() as s:
        if s.get(EvidencePackage, package_id) is None:
            s.add(EvidencePackage(id=package_id, finding_id=finding_id, path=str(final),
                                  created_at=datetime.now(tz), note=db_note))
        f = s.get(Finding, finding_id)
        f.evidence_id = package_id
    return package_id


def _screenshot(app: App, capturer: Capturer | None, url: str | None, names: list[str], tz) -> PageCapture:
    if not url:
        cap = PageCapture(url="", started_at=datetime.now(tz), finished_at=datetime.now(tz))
        cap.notes.append("该账号没有可截图的公开页面地址")
        return cap
    if capturer is not None:
        return capturer.capture(url, expect=names)
    with Capturer(app.settings) as own:
        return own.capture(url, expect=names)
