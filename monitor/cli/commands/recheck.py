"""``monitor recheck ACCOUNT``: crawl one account now and judge its open rectification orders."""
from __future__ import annotations

import typer

from monitor.cli.common import console, fail, ready_app


def register(app: typer.Typer) -> None:
    @app.command("recheck")
    def recheck(
        account: str = typer.Argument(..., metavar="ACCOUNT", help="Account id or its 账号ID (platform_id)."),
        at: str = typer.Option(None, "--at", help="Time point of the re-check (default: now)."),
        by: str = typer.Option(None, "--by", help="Who asks for it (default: the login name)."),
    ) -> None:
        """Crawl ACCOUNT now and close (已复核通过) or reopen (复核未通过) its open orders on the
        fresh result. A failed fetch decides nothing: 未能核验, and the orders keep their state."""
        from monitor.orders.recheck import RecheckError, find_account, recheck_account
        from monitor.reports.wording import ORDER_STATE_ZH, fmt_time
        from monitor.review import _reviewer

        a = ready_app()
        try:
            t = a.at(at)
        except ValueError as exc:
            fail(str(exc), code=2)
        try:
            with a.session() as s:
                account_id = find_account(s, account).id
            result = recheck_account(a, account_id, t, _reviewer(by))
        except RecheckError as exc:
            fail(str(exc), code=1)
        console.print(f"{result.name} 复核（{fmt_time(t, a.tz)}）：", highlight=False)
        for v in result.verdicts:
            console.print(f"  整改单 {v.order_id}：{v.note} → {ORDER_STATE_ZH[v.state]}", highlight=False, soft_wrap=True)
        if any(v.outcome == "unverifiable" for v in result.verdicts):
            raise typer.Exit(1)
