"""``monitor users add NAME --role admin|inspector|unit [--unit 主办单位] --password-stdin``,
``monitor users list``, ``monitor users disable NAME`` — who may sign in to ``monitor web``."""
from __future__ import annotations

import sys
from enum import Enum

import typer
from rich.table import Table

from monitor.cli.common import app_at, console, fail, print_json


class Role(str, Enum):
    admin = "admin"
    inspector = "inspector"
    unit = "unit"


ROLE_ZH = {"admin": "管理员", "inspector": "检查人员", "unit": "主办单位"}


def register(app: typer.Typer) -> None:
    grp = typer.Typer(help="People who may sign in to the web workspace.", no_args_is_help=True)
    app.add_typer(grp, name="users")

    @grp.command("add")
    def add(
        name: str = typer.Argument(..., help="The login name."),
        role: Role = typer.Option(..., "--role", help="admin, inspector or unit."),
        unit: str = typer.Option(None, "--unit", help="For unit users: the 主办单位 whose accounts they see."),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input (first line)."),
    ) -> None:
        """Add a user. The password is read from stdin, never from the command line."""
        from monitor.web.users import UserError, add_user

        if not password_stdin:
            fail("give the password on standard input with --password-stdin "
                 "(a password on the command line would stay in the shell history)", code=2)
        password = sys.stdin.readline().rstrip("\r\n")
        a, _ = app_at(None)
        try:
            user = add_user(a, name, role.value, password, unit)
        except UserError as exc:
            fail(str(exc), code=2)
        where = f" of {user.unit}" if user.unit else ""
        console.print(f"user {user.name} added ({user.role}{where})", highlight=False)

    @grp.command("list")
    def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """List users (never their passwords)."""
        from monitor.web.users import list_users

        a, _ = app_at(None)
        users = list_users(a)
        if as_json:
            print_json([{"name": u.name, "role": u.role, "unit": u.unit, "disabled": u.disabled,
                         "last_login_at": u.last_login_at.astimezone(a.tz).isoformat() if u.last_login_at else None}
                        for u in users])
            return
        table = Table(title=f"用户 ({len(users)})")
        for col in ("用户名", "角色", "主办单位", "状态", "最近登录"):
            table.add_column(col, overflow="fold")
        for u in users:
            table.add_row(u.name, ROLE_ZH[u.role], u.unit or "", "已停用" if u.disabled else "正常",
                          u.last_login_at.astimezone(a.tz).strftime("%Y-%m-%d %H:%M") if u.last_login_at else "")
        console.print(table)

    @grp.command("disable")
    def disable(name: str = typer.Argument(..., help="The login name.")) -> None:
        """Disable a user: they can no longer sign in, and their open sessions end."""
        from monitor.web.users import UserError, disable_user

        a, _ = app_at(None)
        try:
            user = disable_user(a, name)
        except UserError as exc:
            fail(str(exc), code=2)
        console.print(f"user {user.name} disabled", highlight=False)
