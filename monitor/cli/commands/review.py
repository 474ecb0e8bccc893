"""``monitor review ID confirm|dismiss --note … [--reviewer …]``."""
from __future__ import annotations

from enum import Enum

import typer

from monitor.cli.common import console, fail, get_app


class Decision(str, Enum):
    confirm = "confirm"
    dismiss = "dismiss"


def register(app: typer.Typer) -> None:
    @app.command("review")
    def review_cmd(
        finding_id: int = typer.Argument(..., metavar="ID", help="The finding id (see `monitor findings`)."),
        decision: Decision = typer.Argument(..., help="confirm or dismiss."),
        note: str = typer.Option(..., "--note", help="Why (kept with the finding)."),
        reviewer: str = typer.Option(None, "--reviewer", help="Who decides (default: the login name)."),
    ) -> None:
        """Confirm or dismiss a finding. Suspected findings count on the score only once
        confirmed; dismissed ones never. Re-running detection keeps the decision."""
        from monitor.review import ReviewError, review

        a = get_app()
        try:
            f = review(a, finding_id, decision.value, note, reviewer)
        except ReviewError as exc:
            fail(str(exc), code=2)
        console.print(f"finding {f.id} ({f.account.name} {f.rule}) {f.state} by {f.reviewer}",
                      highlight=False)
