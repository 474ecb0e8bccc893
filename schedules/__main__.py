"""``python -m schedules [run|status] [CONFIG]``."""
import sys

from monitor.cli.errors import run_guarded


def _main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    config = argv[1] if len(argv) > 1 else None
    if command == "status":
        from schedules.status import main
    else:
        from schedules.daemon import main
    return main(config)


sys.exit(run_guarded(lambda: _main(sys.argv[1:]), "monitor schedule"))
