"""Secrets stay secret: a whole nightly cycle run with known secrets configured (operator
Weibo cookies, a PostgreSQL password, a TSA password, webhook tokens, a mail password), then
every output is searched for them — WARC files, evidence packages, logs, the outbox, reports,
the database, ``config show``, the commands' own output, temporary files. Every count is 0."""
from __future__ import annotations

import gzip
import json
import subprocess
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text

from monitor.config import Settings, masked_dump
from monitor.secrets import known_secrets, mask_alert_url
from storage.models import Base

SECRETS = {
    "weibo cookie SUB": "WBSUBw26cSECRET4217",
    "weibo cookie SUBP": "WBSUBPw26cSECRET9931",
    "postgres password": "PGw26cSECRET5521",
    "tsa password": "TSAw26cSECRET7713",
    "wecom hook key": "WECOMw26cSECRET3381",
    "dingtalk token": "DINGw26cSECRET6642",
    "mail password": "MAILw26cSECRET1180",
    "redis password": "REDISw26cSECRET2290",
}


def _text_of(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            pass
    return data.decode("latin-1")


def _count(haystack: str) -> Counter:
    return Counter({name: haystack.count(value) for name, value in SECRETS.items()})


def test_a_cycle_with_known_secrets_leaks_none_of_them(sandbox, demo_registry, pg_url, tmp_path, monitor_cli,
                                                        webhook_server):
    user, rest = pg_url.split("://", 1)[1].split("@", 1)
    db_url = f"postgresql+psycopg://{user}:{SECRETS['postgres password']}@{rest}"  # trust auth: any password works
    values = {
        "database_url": db_url, "evidence_dir": str(tmp_path / "ev"), "report_dir": str(tmp_path / "rep"),
        "warc_dir": str(tmp_path / "warc"),
        "crawl": {"delay": 0, "autothrottle": False},
        "evidence": {"tsa_url": f"http://tsa:{SECRETS['tsa password']}@127.0.0.1:1/tsa"},  # refused: the error is noted
        "alerts": {
            "outbox": str(tmp_path / "outbox.jsonl"), "retries": 0, "retry_delay": 0,
            "inspectors": {"*": [webhook_server.url("wecomhook", f"/cgi-bin/webhook/send?key={SECRETS['wecom hook key']}")]},
            # A channel that fails: its error message must not carry the token either.
            "operator": [f"dingtalkhook://127.0.0.1:1/robot/send?access_token={SECRETS['dingtalk token']}"],
            "manager_email_url": f"mailto://monitor:{SECRETS['mail password']}@127.0.0.1:1?to={{email}}",
        },
        **sandbox.config_overrides(),
    }
    values["platforms"]["weibo"]["cookies"] = f"SUB={SECRETS['weibo cookie SUB']}; SUBP={SECRETS['weibo cookie SUBP']}"
    values["platforms"]["weibo"]["backoff_418"] = 0.2  # 如东气象 always answers 418: waiting proves nothing here
    outputs: dict[str, str] = {}
    monitor_cli(["init"], values)
    monitor_cli(["accounts", "import", str(demo_registry)], values)
    run = monitor_cli(["run", "--at", "2026-11-25T02:00:00+08:00"], values)
    outputs["monitor run output"] = run.stdout + run.stderr
    verify = monitor_cli(["evidence", "verify", "--all"], values, check=False)
    outputs["verify output"] = verify.stdout + verify.stderr
    shown = monitor_cli(["config", "show"], {**values, "crawl": {**values["crawl"],
                        "redis_url": f"redis://:{SECRETS['redis password']}@127.0.0.1:6379/0"}})
    outputs["config show"] = shown.stdout + shown.stderr

    assert webhook_server.requests, "the inspector webhook got nothing: the cycle did not alert"
    warcs = list((tmp_path / "warc").rglob("*.warc.gz"))
    packages = [p for p in (tmp_path / "ev").rglob("*") if p.is_file()]
    assert warcs and packages, "no WARC files or no evidence package: nothing was searched"
    # The operator cookies were really sent (so the WARC had something to hide).
    assert any("Cookie: SUB=REDACTED" in _text_of(w) for w in warcs)

    for kind, files in {"WARC files": warcs, "evidence packages": packages,
                        "logs": list((tmp_path / "var" / "logs").rglob("*")) + list((tmp_path / "logs").rglob("*")),
                        "outbox": [tmp_path / "outbox.jsonl"], "reports": list((tmp_path / "rep").rglob("*")),
                        "other files in the working folder": [p for p in tmp_path.rglob("*") if p.is_file()
                                                              and p.suffix in (".json", ".toml", ".txt", ".log")]}.items():
        outputs[kind] = "".join(_text_of(p) for p in files if p.is_file())
    engine = create_engine(db_url.replace(SECRETS["postgres password"], "x"))
    with engine.connect() as c:
        outputs["database"] = "".join(repr(list(c.execute(text(f'SELECT * FROM "{t.name}"'))))
                                      for t in Base.metadata.sorted_tables)
    engine.dispose()
    dump = subprocess.run(["pg_dump", "--data-only", pg_url.replace("postgresql+psycopg", "postgresql")],
                          capture_output=True, text=True, timeout=120)
    assert dump.returncode == 0, dump.stderr
    outputs["database (pg_dump)"] = dump.stdout

    counts = {kind: _count(haystack) for kind, haystack in outputs.items()}
    report = {kind: sum(c.values()) for kind, c in counts.items()}
    print("secret-grep counts:", json.dumps(report, ensure_ascii=False))
    leaks = {kind: {k: v for k, v in c.items() if v} for kind, c in counts.items() if sum(c.values())}
    assert not leaks, leaks
    assert all(outputs[k] for k in ("WARC files", "evidence packages", "outbox", "database", "config show"))


def test_config_show_masks_every_credential():
    s = Settings(
        database_url="postgresql+psycopg://monitor:PGPASS123456@db.internal:5432/monitor",
        crawl={"redis_url": "redis://:REDISPASS12345@127.0.0.1:6379/0"},
        evidence={"tsa_url": "https://tsa:TSAPASS123456@tsa.example.cn/tsr"},
        platforms={"weibo": {"cookies": "SUB=COOKIEVALUE123; SUBP=COOKIEVALUE456"}},
        alerts={"operator": ["wecombot://WECOMBOTKEY123456", "tgram://123456789:TGTOKEN123456/998877",
                             "feishu://FEISHUTOKEN123456", "dingtalk://DINGTOKEN123456/DINGSECRET1234"],
                "inspectors": {"*": ["mailtos://ops:MAILPASS123456@smtp.example.gov.cn?to=a@b.gov.cn",
                                     "feishuhooks://gw.example.gov.cn/open-apis/bot/v2/hook/0a1b2c3d-4e5f-6789-abcd-ef01234567"]},
                "manager_email_url": "mailtos://u:MGRPASS123456@smtp.example.gov.cn?to={email}"},
    )
    shown = json.dumps(masked_dump(s), ensure_ascii=False)
    for secret in ("PGPASS123456", "REDISPASS12345", "TSAPASS123456", "COOKIEVALUE123", "WECOMBOTKEY123456",
                   "TGTOKEN123456", "FEISHUTOKEN123456", "DINGTOKEN123456", "DINGSECRET1234", "MAILPASS123456",
                   "MGRPASS123456", "0a1b2c3d-4e5f-6789-abcd-ef01234567"):
        assert secret not in shown, secret
        assert any(secret in v or v in secret for v in known_secrets(s)), f"{secret} unknown to the scrubber"
    # What is not secret stays readable: hosts, users, chat ids, recipients.
    assert "redis://:********@127.0.0.1:6379/0" in shown and "db.internal:5432" in shown
    assert "mailtos://ops:********@smtp.example.gov.cn?to=a@b.gov.cn" in shown
    assert mask_alert_url("tgram://123456789:TGTOKEN123456/998877") == "tgram://********:********/998877"
