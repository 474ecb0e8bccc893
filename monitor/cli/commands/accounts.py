"""``monitor accounts import|list|export|template`` — the Annex 1 registry."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from monitor.cli.common import console, err_console, fail, print_json, ready_app


class ListFormat(str, Enum):
    table = "table"
    json = "json"


def _ready_app():
    """The app, refusing clearly when ``monitor init`` has not been run on its database."""
    return ready_app(readonly=True)


def register(app: typer.Typer) -> None:
    acc = typer.Typer(help="The account registry (Annex 1): import, list, check, export, template.",
                      no_args_is_help=True)
    app.add_typer(acc, name="accounts")

    @acc.command("import")
    def import_(
        file: Path = typer.Argument(..., help="Registry as .xlsx or .csv (UTF-8 or GBK) with the Annex 1 headings."),
        skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the valid rows even if some rows are invalid."),
    ) -> None:
        """Import or update accounts; matched by (平台, 账号ID), never duplicated.

        If any row is invalid nothing is written (exit 1) unless --skip-invalid is given.
        """
        from monitor.registry import RegistryFileError, UrlBases, read_registry, upsert_accounts

        a = _ready_app()
        try:
            parsed = read_registry(file, UrlBases.from_settings(a.settings))
        except RegistryFileError as exc:
            fail(str(exc), code=2)
        for w in parsed.warnings:
            err_console.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
        for problem in parsed.invalid:
            err_console.print(f"[red]invalid:[/] {file.name} {problem}", highlight=False, soft_wrap=True)
        if parsed.invalid and not skip_invalid:
            fail(f"{len(parsed.invalid)} invalid row(s): nothing imported "
                 f"(fix them, or use --skip-invalid to import the {len(parsed.records)} valid row(s))")
        with a.session() as s:
            result = upsert_accounts(s, parsed.records)
        skipped = f", {len(parsed.invalid)} invalid row(s) skipped" if parsed.invalid else ""
        console.print(f"imported {file.name}: {len(result.created)} created, {len(result.updated)} updated, "
                      f"{len(result.unchanged)} unchanged{skipped}", highlight=False)

    @acc.command("list")
    def list_(
        format: ListFormat = typer.Option(ListFormat.table, "--format", "-f", help="table or json."),
        platform: str = typer.Option(None, help="Only this platform, as the table names it or its key (抖音 or douyin, 微信订阅号, weibo …)."),
        district: str = typer.Option(None, help="Only this 属地."),
    ) -> None:
        """List registered accounts."""
        from rich.table import Table

        from monitor.registry import account_dict, list_accounts
        from monitor.reports.wording import account_platform

        kind = None
        if platform:
            platform, kind = _platform_option(platform)
        with _ready_app().session() as s:
            accounts = [x for x in list_accounts(s, platform, district) if kind is None or x.wechat_kind == kind]
            if format is ListFormat.json:
                print_json([account_dict(x) for x in accounts])
                return
            t = Table()
            for heading in ("ID", "名称", "平台", "主办单位", "属地", "账号ID", "备案状态", "管理员"):
                t.add_column(heading, overflow="fold")  # wrap, never cut: ids must stay copyable
            for x in accounts:
                t.add_row(str(x.id), x.name, account_platform(x), x.host_unit,
                          x.district or "", x.platform_id, x.lifecycle, x.manager or "")
        console.print(t)
        console.print(f"{len(accounts)} account(s)", highlight=False)

    @acc.command("check")
    def check(format: ListFormat = typer.Option(ListFormat.table, "--format", "-f", help="table or json.")) -> None:
        """Annex 3 findings of the registry: units with several accounts on one platform (§12,
        集约整合), names that differ across platforms (§14), and accounts discovery found
        unregistered (监管范围), each with its Annex 3 line and points."""
        from rich.table import Table

        from monitor.discovery import annex3_findings
        from monitor.discovery.view import finding_row
        from monitor.rules import load_ruleset

        a = _ready_app()
        with a.session() as s:
            found = annex3_findings(s, load_ruleset(a.settings).lexicon)
        if format is ListFormat.json:
            print_json([f.as_dict() for f in found])
            return
        t = Table(title=f"登记表检查（附件3）：{len(found)}项")
        for heading in ("指标", "考核对象", "事实", "扣分", "状态"):
            t.add_column(heading, overflow="fold")
        for f in found:
            r = finding_row(f, a.tz)
            t.add_row(r["指标"], r["考核对象"], r["事实"], r["扣分"], r["状态"])
        console.print(t)

    @acc.command("export")
    def export(file: Path = typer.Argument(..., help="Output .xlsx (or .csv).")) -> None:
        """Write all accounts with the Annex 1 headings (re-importable as is)."""
        from monitor.registry import export_accounts, list_accounts

        if file.suffix.lower() not in (".xlsx", ".csv"):
            fail(f"{file}: give a .xlsx or .csv file name", code=2)
        with _ready_app().session() as s:
            n = export_accounts(list_accounts(s), file)
        console.print(f"exported {n} account(s) to {file}", highlight=False)

    @acc.command("template")
    def template(file: Path = typer.Argument(..., help="Output .xlsx.")) -> None:
        """Write a blank registry workbook: headings, a 平台 dropdown and a sheet explaining each column."""
        from monitor.registry import write_template

        if file.suffix.lower() != ".xlsx":
            fail(f"{file}: the template is an .xlsx workbook", code=2)
        write_template(file)
        console.print(f"template written to {file}", highlight=False)


def _platform_option(value: str) -> tuple[str, str | None]:
    """--platform as a person types it: the 平台 the table shows (抖音, 微信订阅号) or the key
    (douyin). An unknown one is an error, not an empty list that reads as 'no accounts'."""
    from monitor.registry.columns import PLATFORM_LABELS, PLATFORM_SYNONYMS

    text = value.strip()
    found = PLATFORM_LABELS.get(text) or PLATFORM_SYNONYMS.get(text) or PLATFORM_SYNONYMS.get(text.lower())
    if found is None:
        keys = {k for k, _ in PLATFORM_LABELS.values()}
        found = (text.lower(), None) if text.lower() in keys else None
    if found is None:
        fail(f"--platform {value!r} is not a platform: use one of {'、'.join(PLATFORM_LABELS)}", code=2)
    return found
