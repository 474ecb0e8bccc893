"""``monitor interaction add|list|reply``: inspectors' interaction tests (私信/留言/评论)."""
from __future__ import annotations

import typer
from rich.table import Table

from monitor.cli.commands.findings import Format
from monitor.cli.common import console, fail, print_json, ready_app


def register(app: typer.Typer) -> None:
    grp = typer.Typer(help="Interaction tests (互动测试): messages inspectors send, and the replies.",
                      no_args_is_help=True)
    app.add_typer(grp, name="interaction")

    @grp.command("add")
    def add(
        account: str = typer.Argument(..., metavar="ACCOUNT", help="Account id, 账号ID or name."),
        channel: str = typer.Option(..., "--channel", help="私信, 留言 or 评论."),
        sent: str = typer.Option(..., "--sent", help="When it was sent, e.g. 2026-11-20 or 2026-11-20 09:30."),
        text: str = typer.Option(..., "--text", help="The message sent."),
        comment_id: str = typer.Option(None, "--comment-id", help="评论: the comment's id, so the crawl can find a reply under it."),
        by: str = typer.Option(None, "--by", help="Who sent it (default: the login name)."),
    ) -> None:
        """Record a test; its reply deadline follows \\[interaction] reply_working_days."""
        from monitor.interaction import InteractionError, add_test, find_account
        from monitor.interaction.workdays import WorkCalendar
        from monitor.reports.wording import fmt_date
        from monitor.review import _reviewer

        a = ready_app()
        try:
            with a.session() as s:
                acc = find_account(s, account)
                t = add_test(s, acc, channel=channel, sent=sent, text=text, tz=a.tz,
                             working_days=a.settings.interaction.reply_working_days,
                             calendar=WorkCalendar.from_settings(a.settings),
                             recorded_by=_reviewer(by), comment_id=comment_id)
                console.print(f"互动测试 {t.id}：{acc.name}（{channel}），应于{fmt_date(t.deadline)}前回复", highlight=False)
        except InteractionError as exc:
            fail(str(exc), code=2)

    @grp.command("reply")
    def reply(
        test_id: int = typer.Argument(..., metavar="ID"),
        replied: str = typer.Option(..., "--replied", help="When the account replied."),
        text: str = typer.Option("", "--text", help="The reply."),
    ) -> None:
        """Record the account's reply to test ID."""
        from monitor.interaction import InteractionError, record_reply, state_of
        from monitor.reports.wording import INTERACTION_STATE_ZH

        a = ready_app()
        try:
            with a.session() as s:
                t = record_reply(s, test_id, replied=replied, text=text, tz=a.tz)
                console.print(f"互动测试 {t.id}：{INTERACTION_STATE_ZH[state_of(t, t.deadline, a.tz)]}", highlight=False)
        except InteractionError as exc:
            fail(str(exc), code=2)

    @grp.command("list")
    def list_cmd(
        fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
        at: str = typer.Option(None, "--at", help="The time it is (default: now): decides which tests are overdue."),
    ) -> None:
        """Every test, newest first, with its deadline and state."""
        from sqlalchemy import select

        from monitor.interaction import state_of, test_json
        from monitor.reports.wording import INTERACTION_SOURCE_ZH, INTERACTION_STATE_ZH, fmt_date, fmt_time
        from storage.models import Account, InteractionTest

        a = ready_app(readonly=True)
        try:
            today = a.at(at).date()
        except ValueError as exc:
            fail(str(exc), code=2)
        with a.session() as s:
            rows = s.execute(select(InteractionTest, Account).join(Account, Account.id == InteractionTest.account_id)
                             .order_by(InteractionTest.sent_at.desc(), InteractionTest.id.desc())).all()
            if fmt == Format.json:
                print_json([{**test_json(t, today, a.tz), "account": acc.name} for t, acc in rows])
                return
            table = Table(title=f"互动测试（{len(rows)}次）")
            for col in ("ID", "账号", "渠道", "发送时间", "内容", "回复期限", "状态", "回复"):
                table.add_column(col, overflow="fold")
            for t, acc in rows:
                answer = (f"{fmt_time(t.replied_at, a.tz, with_zone=False)} {t.reply_text or ''}"
                          f"（{INTERACTION_SOURCE_ZH.get(t.reply_source or '', '')}）") if t.replied_at else ""
                table.add_row(str(t.id), acc.name, t.channel, fmt_time(t.sent_at, a.tz, with_zone=False), t.text,
                              fmt_date(t.deadline), INTERACTION_STATE_ZH[state_of(t, today, a.tz)], answer)
            console.print(table)
