"""One complete demo: the sandbox with the demo scenario on loopback, the demo registry,
two nightly cycles (the night before T, then T), and the summary.

Two nights because Annex 2's app veto must be confirmed by two failed checks at least an
hour apart, and because the second night shows the steady-state request budget.
"""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from monitor.app import App
from monitor.config import Settings
from monitor.cycle import run_cycle
from monitor.cycle.summary import print_summary
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.reports.wording import fmt_time
from monitor.sandbox import DEMO_AT, DEMO_PORT, SandboxServer, World, load_scenario
from monitor.sandbox.registry import write_demo_registry
from monitor.timeutil import resolve_at
from spiders.netpolicy import LOOPBACK


def demo_settings(workdir: Path, sandbox_url: str) -> Settings:
    from monitor.sandbox import platform_config

    return Settings(
        database_url=f"sqlite:///{workdir / 'monitor.db'}",
        evidence_dir=str(workdir / "evidence"),
        report_dir=str(workdir / "report"),
        warc_dir=str(workdir / "warc"),
        alerts={"outbox": str(workdir / "outbox.jsonl"), "inspectors": {}, "operator": []},
        # The sandbox is on loopback: no politeness delay needed (the real sites get 1 s).
        # The sandbox is on loopback, which the outbound policy refuses unless allowed.
        crawl={"delay": 0, "autothrottle": False, "child_timeout": 600, "allow_networks": list(LOOPBACK)},
        **platform_config(sandbox_url),
    )


def run_demo(workdir: Path = Path("var/demo"), console: Console | None = None, at: str = DEMO_AT) -> int:
    console = console or Console()
    if not console.is_terminal:
        console = Console(width=150)  # logs and CI: room for the Chinese indicator names
    T = resolve_at(at)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    world = World(load_scenario("demo"))
    try:
        server = SandboxServer(world, port=DEMO_PORT).start()
    except OSError:
        server = SandboxServer(world, port=0).start()
    try:
        console.print(f"[bold]平台沙箱[/] {server.url}（演示场景，监测时间点 {fmt_time(T, T.tzinfo)}）", highlight=False)
        app = App(demo_settings(workdir.resolve(), server.url))
        app.init_db()
        registry = write_demo_registry(workdir / "registry.csv", server.url)
        parsed = read_registry(registry, UrlBases.from_settings(app.settings))
        if not parsed.ok:
            for p in parsed.invalid:
                console.print(f"[red]{p}[/]")
            return 1
        with app.session() as s:
            upsert_accounts(s, parsed.records)
        console.print(f"登记表：从 {registry} 导入 {len(parsed.records)} 个账号", highlight=False)
        result = None
        for night in (T - timedelta(days=1), T):
            world.set_clock(night)
            before = len(world.requests)
            console.rule(f"夜间巡检　监测时间点 {fmt_time(night, night.tzinfo)}")
            result = run_cycle(app, night, progress=console.is_terminal)
            done = "完成" if result.ok else f"未完成（{result.outcome}）"
            console.print(f"巡检{done}：向沙箱发出请求 {len(world.requests) - before} 次", highlight=False)
            if not result.ok:
                for st in result.stages:
                    if st.outcome != "ok":
                        console.print(f"[red]阶段 {st.name}：{st.message}[/]")
                return 1
            if night < T:
                _discover(app, night, world, console)
        print_summary(app, T, console, result.report_dir if result else None)
        _tongbao(app, T, console)
        console.print(f"\n数据库：{app.settings.database_url}", highlight=False)
        _workspace_hint(app, workdir, server.url, T, console)
        return 0
    finally:
        server.stop()


def _tongbao(app: App, T, console: Console) -> None:
    """Issue T's month's 通报 (one 整改单 per cited account) and write it as a .docx, so the
    workspace's 整改 page has orders to answer and re-check."""
    from monitor.orders import IssueError, issue_tongbao
    from monitor.orders.issue import docx_name
    from monitor.reports.period import parse_period
    from monitor.reports.wording import fmt_date
    from monitor.reports.tongbao_docx import write_tongbao_docx
    from monitor.rules import load_ruleset

    day = T.astimezone(app.tz)
    try:
        with app.session() as s:
            tb = issue_tongbao(s, parse_period(f"{day:%Y-%m}"), load_ruleset(app.settings), app.tz,
                               issued_on=day.date(), issued_by="demo", deadline_days=app.settings.orders.deadline_days,
                               now=T)
            content = {"id": tb.id, **tb.content}
    except IssueError as exc:
        console.print(f"通报: {exc}", highlight=False)
        return
    path = write_tongbao_docx(content, Path(app.settings.report_dir) / docx_name(content))
    console.print(f"通报 {content['id']}（{content['period_title_zh']}）：整改单{content['totals']['accounts']}份，"
                  f"整改期限{fmt_date(date.fromisoformat(content['deadline']))}（monitor orders list）；{path}",
                  highlight=False, soft_wrap=True)


def _discover(app: App, night, world: World, console: Console) -> None:
    """The weekly account discovery (Annex 3 监管范围), once, so T's report lists what it found."""
    from monitor.discovery import run_discovery

    console.rule(f"账号发现（附件3 监管范围）　监测时间点 {fmt_time(night, night.tzinfo)}")
    before = len(world.requests)
    result = run_discovery(app, night)
    c = result.summary.counts()
    done = "完成" if result.outcome == "ok" else f"未完成（{result.outcome}）"
    console.print(f"账号发现{done}：检索主办单位 {c['units']} 个，请求 {c['requests']} 次（沙箱请求 "
                  f"{len(world.requests) - before} 次）；疑似未纳入监管 {c['candidates_unregistered']} 个，"
                  f"疑似仿冒 {c['candidates_impostor']} 个；未能核验 {c['unverified']} 个单位（monitor discover list 查看）",
                  highlight=False)


def demo_config_text(s: Settings, sandbox_url: str, secret_key: str) -> str:
    """monitor.toml for the demo database. It points every platform at the demo sandbox too:
    without that, 立即复核 / ``monitor recheck`` and evidence on demand from the workspace
    would go to the real sites (or find 抖音/快手/头条 not configured) instead of the sandbox
    the demo's findings came from."""
    import json

    from monitor.sandbox.settings_toml import sandbox_toml

    return "\n".join([
        "# Written by `monitor demo`: the demo database, for `monitor --config … web`.",
        f"database_url = {json.dumps(s.database_url)}",
        f"evidence_dir = {json.dumps(s.evidence_dir)}",
        f"report_dir = {json.dumps(s.report_dir)}",
        f"warc_dir = {json.dumps(s.warc_dir)}",
        "[alerts]",
        f"outbox = {json.dumps(s.alerts.outbox)}",
        "[web]",
        f"secret_key = {json.dumps(secret_key)}",
        "",
    ]) + sandbox_toml(sandbox_url)


def _workspace_hint(app: App, workdir: Path, sandbox_url: str, T, console: Console) -> None:
    """A config file for the demo database and a demo inspector, so the result can be looked
    at (and reviewed) in the web workspace."""
    import secrets
    from urllib.parse import urlsplit

    from monitor.web.users import add_user

    config = workdir / "monitor.toml"
    config.write_text(demo_config_text(app.settings, sandbox_url, secrets.token_urlsafe(32)), encoding="utf-8")
    password = secrets.token_urlsafe(9)
    add_user(app, "demo", "inspector", password)
    console.print("\n[bold]工作台[/]（在浏览器中复核、下发通报、跟踪整改）：运行", highlight=False)
    console.print(f"  monitor --config {config} web --port 8080", highlight=False, soft_wrap=True)
    console.print(f"  然后打开 http://127.0.0.1:8080/ ，以 [bold]demo[/] 登录，密码 [bold]{password}[/]",
                  highlight=False, soft_wrap=True)
    console.print(f"  （立即复核和 monitor recheck 还需要平台沙箱："
                  f"monitor sandbox --port {urlsplit(sandbox_url).port} --at {T.isoformat()}）",
                  highlight=False, soft_wrap=True)
    console.print("[bold]月度报告[/]（HTML、xlsx、docx，覆盖演示的两夜）：", highlight=False)
    console.print(f"  monitor --config {config} report --period {T:%Y-%m}", highlight=False, soft_wrap=True)

