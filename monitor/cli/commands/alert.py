"""``monitor alert [--at] [--dry-run]``: send the alerts due at T (each once)."""
from __future__ import annotations

import typer

from monitor.cli.common import app_at, console, print_json


def register(app: typer.Typer) -> None:
    @app.command("alert")
    def alert(
        at: str = typer.Option(None, "--at", help="Monitoring time point T (default: the newest T detection ran for)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="List what would be sent; send and record nothing."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Send reminders, veto alerts, 已恢复 notes, inspector digests and operator alerts due at T.

        Sending failures are retried and recorded (exit code stays 0); the outbox file gets
        every message either way."""
        from monitor.alerts import pending_alerts, send_alerts

        a, t = app_at(at, newest_detected=True)
        if dry_run:
            due = pending_alerts(a, t)
            rows = [{"stage": o.stage, "to": o.recipient.shown, "title": o.message.title, "body": o.message.body}
                    for o in due]
            if as_json:
                print_json(rows)
                return
            for r in rows:
                console.print(f"[bold]{r['stage']}[/] → {r['to']}\n  {r['title']}", highlight=False)
            console.print(f"{len(rows)} message(s) due at {t.isoformat()} (dry run: nothing sent)", highlight=False)
            return
        from monitor.alerts import SenderBusy
        from monitor.cli.common import fail

        try:
            counts = send_alerts(a, t)
        except SenderBusy as exc:
            fail(str(exc), code=3)
        if as_json:
            print_json(counts)
            return
        console.print(f"alerts at {t.isoformat()}: sent {counts.get('sent', 0)}, outbox only {counts.get('outbox', 0)}, "
                      f"failed {counts.get('failed', 0)}, already sent {counts.get('already_sent', 0)}; "
                      f"outbox: {a.settings.alerts.outbox}", highlight=False, soft_wrap=True)
