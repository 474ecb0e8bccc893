"""``monitor evidence verify [PACKAGE|--all]`` and ``monitor evidence capture FINDING_ID``."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from monitor.cli.common import console, fail, get_app, print_json


class Format(str, Enum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    ev = typer.Typer(help="Evidence packages: verify them, or capture one for a finding.", no_args_is_help=True)
    app.add_typer(ev, name="evidence")

    @ev.command("verify")
    def verify(
        package: str = typer.Argument(None, help="A package folder, or a package id under evidence_dir."),
        all_: bool = typer.Option(False, "--all", help="Verify every package under evidence_dir."),
        ca: Path = typer.Option(None, "--ca", help="PEM of the TSA CA to check timestamps against "
                                                  "(default: [evidence] tsa_ca_file, else tsa-ca.pem in the package)."),
        fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
    ) -> None:
        """Re-hash packages and say whether anything changed. Exit 1 if any package changed,
        has a timestamp that cannot be verified, or (with --all) was left unfinished."""
        from monitor.evidence import verify_all, verify_package

        if bool(package) == all_:
            fail("give a PACKAGE or --all (not both)", code=2)
        a = get_app()
        if all_:
            results = verify_all(a, ca)
        else:
            path = Path(package)
            if not path.is_dir():
                path = Path(a.settings.evidence_dir) / package
            if not path.is_dir():
                fail(f"no evidence package {package!r} (looked for the folder and under {a.settings.evidence_dir})", code=2)
            results = [verify_package(path, ca or a.settings.evidence.tsa_ca_file or None)]
        if fmt is Format.json:
            print_json([r.as_dict() for r in results])
        else:
            for r in results:
                console.print(("[green]OK[/]     " if r.ok else "[red]FAILED[/] ") + r.describe(),
                              highlight=False, soft_wrap=True)
            bad = sum(not r.ok for r in results)
            console.print(f"{len(results)} package(s) checked, {bad} failed", highlight=False)
        if any(not r.ok for r in results):
            raise typer.Exit(1)

    @ev.command("capture")
    def capture(
        finding_id: int = typer.Argument(..., help="The finding to package (any rule, any state)."),
        force: bool = typer.Option(False, "--force", help="Build a new package even if the finding has one."),
    ) -> None:
        """Build the evidence package of one finding now (screenshot, WARC records, manifest)."""
        from monitor.evidence import EvidenceError, build_package

        a = get_app()
        try:
            pid = build_package(a, finding_id, force=force)
        except EvidenceError as exc:
            fail(str(exc))
        console.print(f"finding {finding_id}: evidence package {pid}\n  {Path(a.settings.evidence_dir) / pid}",
                      highlight=False, soft_wrap=True)
