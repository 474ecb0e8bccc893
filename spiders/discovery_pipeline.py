"""Write discovery searches (``DiscoverySearchItem``) as ``DiscoverySearch`` rows, one
transaction per unit; values go through ``storage.fit`` like every other row. A write that
fails is logged and counted: the unit then has no row for the pass, which the matcher reads
as 未能核验 (never as "no candidates")."""
from __future__ import annotations

import dataclasses
import logging

from sqlalchemy.exc import SQLAlchemyError

from spiders.items import DiscoverySearchItem
from spiders.writer import resolved
from storage.db import make_engine, session_scope
from storage.fit import fit_row
from storage.models import DiscoverySearch

log = logging.getLogger(__name__)


class DiscoveryPipeline:
    def __init__(self, database_url: str, run_id: int | None):
        self.database_url = database_url
        self.run_id = run_id
        self.engine = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        run_id = s.get("MONITOR_RUN_ID")
        return cls(s.get("MONITOR_DATABASE_URL"), int(run_id) if run_id else None)

    def open_spider(self, spider=None):
        self.engine = make_engine(self.database_url)

    def close_spider(self, spider=None):
        if self.engine is not None:
            self.engine.dispose()

    def process_item(self, item, spider=None):
        if isinstance(item, DiscoverySearchItem):
            # capture_ref is the WARC writer's placeholder in a real crawl: its string, or every
            # unit's row failed to bind and the whole pass read as 未能核验.
            values = {k: resolved(v) for k, v in dataclasses.asdict(item).items()}
            try:
                with session_scope(self.engine) as s:
                    s.add(DiscoverySearch(run_id=self.run_id, **fit_row(DiscoverySearch.__table__, values)[0]))
            except SQLAlchemyError:
                log.exception("discovery search for %s: writing it failed", item.host_unit)
        return item
