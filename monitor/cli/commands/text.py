"""``monitor text check FILE|-``: the text checks on any text, e.g. a draft before it is
published. (``monitor text sweep`` over stored posts joins this group.)"""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from monitor.cli.common import console, err_console, fail, print_json, state


class Format(str, Enum):
    table = "table"
    json = "json"


def _read(source: str) -> str:
    if source == "-":
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        path = Path(source)
        if not path.is_file():
            fail(f"no file {source!r} to check", code=2)
        try:
            data = path.read_bytes()
        except OSError as exc:
            fail(f"cannot read {source}: {exc.strerror}", code=2)
        where = source
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{where} is not UTF-8 text (byte {exc.start}): save it as UTF-8 and check again", code=2)


def registry_host_units(settings) -> list[str] | None:
    """Every 主办单位 of the registry, or None when there is no database to read them from
    (a draft is checked without them rather than a database being created)."""
    from pathlib import Path as _P

    from sqlalchemy import create_engine, inspect, select
    from sqlalchemy.engine import make_url

    from storage.models import Account

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and (url.database in (None, "", ":memory:") or not _P(url.database).exists()):
        return None
    engine = create_engine(settings.database_url)
    try:
        if not inspect(engine).has_table("accounts"):
            return None
        with engine.connect() as conn:
            return sorted({u for (u,) in conn.execute(select(Account.host_unit).distinct()) if u})
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    text = typer.Typer(help="Text checks: 严重表述错误, 敏感内容, 个人信息泄露, 用语不规范.", no_args_is_help=True)
    app.add_typer(text, name="text")

    @text.command("check")
    def check(
        source: str = typer.Argument(..., metavar="FILE|-", help="A UTF-8 text file, or - for standard input."),
        fmt: Format = typer.Option(Format.table, "--format", help="table or json (one object per hit)."),
        registry: bool = typer.Option(True, "--registry/--no-registry",
                                      help="Also check the registry's 主办单位 (when a database exists)."),
    ) -> None:
        """Check a text: every hit with its exact place, the matched text and a suggestion.
        Exit 0 with no hits, 1 with hits, 2 on an error."""
        from monitor.config import ConfigError, load_settings
        from monitor.textcheck import check_text
        from monitor.textcheck.lists import ListError

        body = _read(source)
        try:
            settings = load_settings(state.config_path)
        except ConfigError as exc:
            fail(str(exc), code=2)
        units = registry_host_units(settings) if registry else None
        try:
            hits = check_text(body, extra_terms=units or (), extra_lists_dir=settings.textcheck.extra_lists_dir or None)
        except ListError as exc:
            fail(str(exc), code=2)
        if fmt is Format.json:
            print_json([h.as_dict() for h in hits])
        else:
            _table(body, hits)
            if registry and units is None:
                err_console.print("monitor: 未读取登记表（没有数据库），主办单位未纳入核对", highlight=False)
        if hits:
            raise typer.Exit(1)

    # ── monitor text sweep (C19) goes here ───────────────────────────────────────
    @text.command("sweep")
    def sweep(
        since: str = typer.Option(None, "--since", metavar="DATE",
                                  help="Only posts published on or after this day (YYYY-MM-DD, local time)."),
        fmt: Format = typer.Option(Format.table, "--format", help="table or json (one object per hit)."),
    ) -> None:
        """Check the stored posts again with today's word lists (e.g. after adding to them) and
        list every hit with its account, post and review state. The nightly run checks new and
        changed posts only; hits in the check period's posts become findings for review."""
        from datetime import date, datetime, time

        from monitor.cli.common import ready_app
        from monitor.detectors.post_texts import sweep as run_sweep
        from monitor.detectors.text_content import sweep_rows
        from monitor.textcheck.lists import ListError

        start = None
        if since:
            try:
                start = datetime.combine(date.fromisoformat(since), time.min)
            except ValueError:
                fail(f"--since must be a date like 2026-11-01, not {since!r}", code=2)
        a = ready_app(readonly=True)
        if start is not None:
            start = start.replace(tzinfo=a.tz)
        try:
            with a.session() as s:
                done = run_sweep(s, a.settings, since=start)
                rows = sweep_rows(s, done, a.tz)
        except ListError as exc:
            fail(str(exc), code=2)
        if fmt is Format.json:
            print_json(rows)
            return
        _sweep_table(rows, done, a.tz)


def _table(body: str, hits) -> None:
    from rich.table import Table

    from monitor.reports.wording import span_zh

    if not hits:
        console.print(f"未发现问题（{len(body)} 字）", highlight=False)
        return
    table = Table(show_lines=False)
    for col in ("行", "位置", "原文", "建议", "类别", "说明", "规则"):
        table.add_column(col, overflow="fold")
    for h in hits:
        line_no = body.count("\n", 0, h.start) + 1
        table.add_row(str(line_no), span_zh(h.start, h.end, body), h.text, h.suggestion or "—", h.kind, h.note, h.rule)
    console.print(table)
    console.print(f"{len(hits)} 处（{len(body)} 字）", highlight=False)


def _sweep_table(rows: list[dict], done, tz) -> None:
    from rich.table import Table

    from monitor.reports.wording import FIELD_ZH, STATE_ZH, fmt_time, span_zh

    summary = f"核对{done.checked}条内容（{done.characters}字），{done.with_hits}条有疑似问题，共{len(rows)}处"
    if not rows:
        console.print(summary, highlight=False)
        return
    table = Table(show_lines=False)
    for col in ("账号", "发布时间", "位置", "原文", "建议", "类别", "说明", "复核", "链接"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["account_name"], fmt_time(r["published_at"], tz, with_zone=False) if r["published_at"] else "无记录",
                      f"{FIELD_ZH.get(r['field'], r['field'])}{span_zh(r['start'], r['end'])}", r["text"], r["suggestion"] or "—",
                      r["kind"], r["note"] or "", STATE_ZH.get(r["review_state"], "未列入复核"), r["url"] or "")
    console.print(table)
    console.print(summary + "；检查期内发布的由每晚检测列入复核", highlight=False)