"""``monitor orders list [--format table|json]``, ``monitor orders show ID``, ``monitor orders close ID``."""
from __future__ import annotations

import typer
from rich.table import Table

from monitor.cli.commands.findings import Format
from monitor.cli.common import console, fail, print_json, ready_app


def _today(a, at: str | None):
    try:
        return a.at(at).date()
    except ValueError as exc:
        fail(str(exc), code=2)


def register(app: typer.Typer) -> None:
    grp = typer.Typer(help="Rectification orders (整改单) opened by a 通报.", no_args_is_help=True)
    app.add_typer(grp, name="orders")
    at_help = "The time it is (default: now): decides which open orders are 逾期."

    @grp.command("list")
    def list_cmd(
        fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
        state: str = typer.Option(None, "--state", help="Only pending, replied, passed, reopened or overdue (or as the table says: 待整改, 逾期 …)."),
        at: str = typer.Option(None, "--at", help=at_help),
    ) -> None:
        """Every order, newest 通报 first, with its state (逾期 once past the deadline)."""
        from monitor.orders import effective_state, order_json
        from monitor.orders.queries import all_orders
        from monitor.reports.wording import ORDER_STATE_ZH, account_platform, fmt_date

        # The state as the table shows it (待整改, 逾期 …) or its key (pending, overdue …).
        state = {zh: key for key, zh in ORDER_STATE_ZH.items()}.get(state, state) if state else state
        if state and state not in ORDER_STATE_ZH:
            fail(f"--state must be one of {', '.join(ORDER_STATE_ZH)} ({'、'.join(ORDER_STATE_ZH.values())}), "
                 f"not {state!r}", code=2)
        a = ready_app(readonly=True)
        today = _today(a, at)
        with a.session() as s:
            orders = [o for o in all_orders(s) if not state or effective_state(o, today) == state]
            if fmt == Format.json:
                print_json([order_json(o, today, a.tz) for o in orders])
                return
            table = Table(title=f"整改单（{len(orders)}份）")
            for col in ("ID", "通报", "账号", "平台", "主办单位", "问题", "下发日期", "整改期限", "状态"):
                table.add_column(col, overflow="fold")
            for o in orders:
                table.add_row(str(o.id), str(o.tongbao_id), o.account.name, account_platform(o.account),
                              o.account.host_unit, "；".join(dict.fromkeys(f["rule_name"] for f in o.findings)),
                              fmt_date(o.issued_on), fmt_date(o.deadline), ORDER_STATE_ZH[effective_state(o, today)])
            console.print(table)

    @grp.command("show")
    def show(
        order_id: int = typer.Argument(..., metavar="ID"),
        fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
        at: str = typer.Option(None, "--at", help=at_help),
    ) -> None:
        """One order: the findings cited, their evidence, replies, re-checks, history."""
        from monitor.orders import order_json
        from monitor.orders.queries import get_order
        from monitor.orders.text import order_lines

        a = ready_app(readonly=True)
        today = _today(a, at)
        with a.session() as s:
            o = get_order(s, order_id)
            if o is None:
                fail(f"no rectification order with id {order_id} (see `monitor orders list`)", code=1)
            if fmt == Format.json:
                print_json(order_json(o, today, a.tz))
                return
            for line in order_lines(o, today, a.tz):
                console.print(line, highlight=False, soft_wrap=True)

    @grp.command("close")
    def close(
        order_id: int = typer.Argument(..., metavar="ID"),
        note: str = typer.Option("", "--note", help="Why (kept in the order's history)."),
        by: str = typer.Option(None, "--by", help="Who closes it (default: the login name)."),
    ) -> None:
        """Close an order as rectified (已复核通过) by hand, e.g. a problem only a person can check."""
        from monitor.orders import OrderError, close_order
        from monitor.orders.queries import get_order
        from monitor.review import _reviewer

        a = ready_app()
        try:
            with a.session() as s:
                o = get_order(s, order_id)
                if o is None:
                    fail(f"no rectification order with id {order_id} (see `monitor orders list`)", code=1)
                close_order(o, a.at(None), _reviewer(by), note)
                name = o.account.name
        except OrderError as exc:
            fail(str(exc), code=1)
        console.print(f"整改单 {order_id}（{name}）已关闭：已复核通过", highlight=False)
