"""``python -m schedules [run|status] [CONFIG]``."""
import sys

from monitor.config import ConfigError


def _main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    config = argv[1] if len(argv) > 1 else None
    try:
        if command == "status":
            from schedules.status import main
        else:
            from schedules.daemon import main
        return main(config)
    except ConfigError as exc:
        print(f"monitor schedule: {exc}", file=sys.stderr)
        return 2


sys.exit(_main(sys.argv[1:]))
