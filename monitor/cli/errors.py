"""The failures an operator can cause or meet (bad config, a database that is down or missing,
a closed pipe) as one line on stderr and an exit code, never a traceback."""
from __future__ import annotations

import os
import sys
from typing import Callable

from monitor.config import ConfigError


def database_problem(exc: BaseException) -> str | None:
    """One line for an error raised while opening or using the database, or None."""
    from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

    if isinstance(exc, (NoSuchModuleError, ArgumentError)):
        return f"the database URL is not usable: {exc}"
    if isinstance(exc, (OperationalError, InterfaceError)):
        detail = (str(exc.orig) if exc.orig is not None else str(exc)).strip().splitlines()[0]
        hint = ""
        if "does not exist" in detail and "database" in detail:
            hint = " — create it (createdb -h HOST -U USER NAME), then run `monitor init`"
        elif "refused" in detail or "could not connect" in detail or "timeout" in detail.lower():
            hint = " — is the database server running and reachable?"
        elif "unable to open database file" in detail:
            hint = " — check that the folder exists and is writable"
        return f"database error: {detail}{hint}"
    return None


def run_guarded(main: Callable[[], object], prog: str) -> int:
    """Run a command line entry point; the failures the README documents become one line."""
    try:
        result = main()
        return result if isinstance(result, int) else 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `monitor … | head`: the reader has gone; say nothing more (Python's advice: point
        # stdout at devnull so the interpreter's final flush does not fail again).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        message = database_problem(exc)
        if message is None:
            raise
        print(f"{prog}: {message}", file=sys.stderr)
        return 2
