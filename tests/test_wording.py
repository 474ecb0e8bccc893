"""One wording table: every failure-reason code the code base can emit has Chinese words, and
the words a reader sees are the table's."""
from __future__ import annotations

import ast
from pathlib import Path

from monitor.reports import wording
from monitor.reports.wording import REASONS, fmt_time, reason_code, reason_zh
from tests.fixtures.core import T, TZ

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("spiders", "monitor")
# The sandbox answers HTTP with reason phrases ("I'm a teapot"): those are not our reasons.
# `monitor inspect` shows the spiders' own classification of a saved payload to an operator
# (not stored, not official text).
NOT_OURS = ("monitor/sandbox/", "monitor/inspect/")
# Calls whose argument N is a failure reason: methods (result.fail(…)) and constructors.
REASON_METHODS = {"fail": 0, "unknown": 0, "_finish": 2, "_observation": 2}
# Names and attributes the spiders keep a failure reason in before they store it.
REASON_NAMES = {"reason", "feed_error"}
REASON_CALLS = {"StoreUnusable": 0, "TransportError": 0, "Classified": 1, "FeedVerdict": 1, "Verdict": 1, "Freshness": 2}


# Modules whose UPPER_CASE = "code" constants are reason codes, used as r.X wherever they are emitted.
REASON_CONSTANTS = ("spiders/appcheck/result.py",)


def _constants() -> dict[str, str]:
    out = {}
    for rel in REASON_CONSTANTS:
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign):
                targets = [t for t in node.targets]
                for t in targets:
                    names = t.elts if isinstance(t, ast.Tuple) else [t]
                    values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                    for n, v in zip(names, values):
                        if isinstance(n, ast.Name) and n.id.isupper() and isinstance(v, ast.Constant) \
                                and isinstance(v.value, str):
                            out[n.id] = v.value
    return out


def _literal(node: ast.AST, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # f"…" + (…)
        return _literal(node.left, constants)
    if isinstance(node, ast.Attribute) and node.attr in constants:
        return constants[node.attr]
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return None  # computed at run time (got.reason, exc.kind): its source is scanned where it is made


def emitted_reasons() -> dict[str, set[str]]:
    """module → the reason strings (or their leading literal part) it can store."""
    constants = _constants()
    found: dict[str, set[str]] = {}
    for top in SCANNED:
        for path in (ROOT / top).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(NOT_OURS):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            values: list[ast.AST] = []
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    values += [kw.value for kw in node.keywords if kw.arg == "reason"]
                    if isinstance(node.func, ast.Attribute):
                        # result.fail(reason) is the spiders' (monitor's .fail() are other things)
                        pos = REASON_METHODS.get(node.func.attr) if top == "spiders" else None
                    else:
                        pos = REASON_CALLS.get(getattr(node.func, "id", ""))
                    if pos is not None and len(node.args) > pos:
                        values.append(node.args[pos])
                elif isinstance(node, ast.Assign) and top == "spiders" and len(node.targets) == 1 \
                        and getattr(node.targets[0], "id", getattr(node.targets[0], "attr", None)) in REASON_NAMES:
                    values.append(node.value)
                elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
                    for t in node.targets:
                        if isinstance(t, ast.Tuple):
                            for n, v in zip(t.elts, node.value.elts):
                                if isinstance(n, ast.Name) and n.id == "reason":
                                    values.append(v)
            texts = {x for x in (_literal(v, constants) for v in values) if x}
            if texts:
                found[rel] = texts
    # Result constants are emitted through r.X wherever they are used.
    found.setdefault(REASON_CONSTANTS[0], set()).update(
        v for v in constants.values() if v not in ("ok", "fail", "not_listed", "unknown"))
    return found


def test_every_reason_code_the_code_base_emits_has_a_wording():
    emitted = emitted_reasons()
    assert "spiders/appcheck/download.py" in emitted and "spiders/spiders/apps.py" in emitted  # the scan works
    missing, free = [], []
    for module, texts in sorted(emitted.items()):
        for text in sorted(texts):
            code = reason_code(text)
            if code is None:
                free.append(f"{module}: {text!r}")
            elif code not in REASONS:
                missing.append(f"{module}: {code!r} (from {text!r})")
    assert not missing, "reason codes without a wording in monitor/reports/wording.py REASONS:\n" + "\n".join(missing)
    assert not free, "reasons that are not '<code>: <detail>':\n" + "\n".join(free)


def test_every_wording_is_chinese_and_codes_are_snake_case():
    for table in (REASONS, wording.STATE_ZH, wording.OUTCOME_ZH, wording.PLATFORM_ZH, wording.CHANNEL_ZH,
                  wording.GROUP_ZH):
        for code, text in table.items():
            assert code == code.strip() and text and any("\u4e00" <= ch <= "\u9fff" for ch in text), (code, text)
    assert all(reason_code(c) == c for c in REASONS)


def test_reasons_read_as_the_table_says_whatever_detail_follows():
    assert reason_zh("html_not_apk: an HTML page (text/html) where the APK should be") == "返回网页而非安装包"
    assert reason_zh("truncated") == "安装包不完整"
    assert reason_zh("http_4xx: HTTP 404 at http://x/app.apk") == "返回错误页面（HTTP 404）"
    assert reason_zh("rate_limited: slow down", "blocked", 418) == "被平台限流（HTTP 418）"
    # Free text or an unknown code is never shown raw: the outcome speaks.
    assert reason_zh("HTTP 432 visitor cookies missing", "blocked") == "被平台限流或要求验证（HTTP 432）"
    assert reason_zh("something_new: detail", "error") == "采集出错"
    assert reason_zh(None, None) == "采集失败"


def test_times_are_written_the_chinese_way():
    assert fmt_time(T, TZ) == "2026年11月25日 02:00（北京时间）"
    assert fmt_time(T.isoformat(), TZ, with_zone=False) == "2026年11月25日 02:00"
    assert wording.STATE_ZH == {"auto": "自动判定", "suspected": "待复核", "confirmed": "已确认", "dismissed": "已排除"}
    assert wording.platform_zh("wechat", "订阅号") == "微信订阅号" and wording.platform_zh("weibo") == "新浪微博"


def test_weibo_answers_and_failed_requests_have_worded_codes():
    """What the scan cannot read statically: the Weibo classifier's status table and the
    reasons of requests that got no answer (Weibo and WeChat alike)."""
    from twisted.internet import error
    from twisted.python.failure import Failure

    from scrapy.exceptions import IgnoreRequest
    from spiders.failures import request_failure
    from spiders.middlewares.outbound import RefusedRequest
    from spiders.weibo.payload import classify

    answers = [(s, b"") for s in (403, 404, 418, 429, 432, 500, 302)] + [
        (200, b"<html>passport</html>"), (200, b"<html></html>"), (200, b"nope"), (200, b"[]"),
        (200, b'{"ok":-100,"url":"https://passport.weibo.com/x"}'), (200, b'{"ok":0,"url":"https://x/captcha"}'),
        (200, '{"ok":0,"msg":"访问频次过高"}'.encode()), (200, '{"ok":0,"msg":"这里还没有内容"}'.encode()),
        (200, b'{"ok":0,"msg":"?"}'), (200, b'{"ok":1}')]
    for status, body in answers:
        got = classify(status, body)
        assert reason_code(got.reason) in REASONS, (status, body, got.reason)
    failures = {
        "timeout": error.TimeoutError("User timeout caused connection failure."),
        "dns": error.DNSLookupError("DNS lookup failed: no results for hostname lookup: x.invalid."),
        "connection_refused": error.ConnectionRefusedError("Connection was refused by other side"),
        "refused_by_policy": RefusedRequest("http://10.0.0.1/feed", "10.0.0.1 is a private address"),
        "over_limit": IgnoreRequest("Ignored response because its body exceeded DOWNLOAD_MAXSIZE (16777216 B)"),
        "network": error.ConnectionLost("Connection to the other side was lost"),
    }
    for code, exc in failures.items():
        reason = request_failure(Failure(exc))
        assert reason_code(reason) == code and code in REASONS, reason
    assert reason_zh(request_failure(Failure(failures["timeout"]))) == "请求超时"


def test_an_account_whose_list_was_read_but_undated_is_not_said_to_fail_its_fetch():
    """A 抖音 list read fine whose works carry no publish time is 未能核验, but the fetch did
    not fail: the inspector must not read "连续采集失败"."""
    from datetime import datetime
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from monitor.reports.wording import unverifiable_why

    tz = ZoneInfo("Asia/Shanghai")
    since, last = datetime(2026, 11, 22, 1, 0, tzinfo=tz), datetime(2026, 11, 25, 1, 0, tzinfo=tz)

    def status(reason, outcome="error"):
        return SimpleNamespace(failed_at=last, failing_since=since, failed_reason=reason, failed_outcome=outcome,
                               failed_status=None, failed_channels=None)

    undated = unverifiable_why(status("untimed_items: 12 of 12 works have no publish time"), tz)
    assert "作品缺少发布时间" in undated and "采集失败" not in undated
    assert undated.endswith("自2026年11月22日 01:00起连续无法确定更新情况")
    timed_out = unverifiable_why(status("timeout: no answer in 30 s"), tz)
    assert "请求超时" in timed_out and timed_out.endswith("起连续采集失败")
