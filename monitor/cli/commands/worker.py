import logging
import signal
from threading import Event

import typer

from monitor.cli.common import fail, get_app


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(once: bool = typer.Option(False, "--once", help="Exit after serving one run.")) -> None:
        """Start a crawl worker (distributed mode, needs [crawl] redis_url): it takes accounts
        from the shared queue of the run the scheduler publishes until that queue is empty,
        then waits for the next run. SIGTERM finishes the accounts in flight and exits."""
        from monitor.distributed import run_worker

        a = get_app()
        if not a.settings.crawl.redis_url:
            fail("[crawl] redis_url is not set (MONITOR_CRAWL__REDIS_URL): a worker needs the shared Redis queue",
                 code=2)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        from monitor.secrets import scrubber
        from spiders.redact import install_log_filter

        install_log_filter(scrubber(a.settings))  # the handler basicConfig just added
        stop = Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        run_worker(a, stop, once=once)
