"""The application context handed to every stage: settings, database engine, clock."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.config import Settings, load_settings
from monitor.timeutil import resolve_at
from storage.db import make_engine, session_scope, upgrade_to_head


@dataclass
class App:
    settings: Settings = field(default_factory=load_settings)

    def __post_init__(self) -> None:
        # Whatever this process logs from now on has the configured secrets scrubbed.
        from monitor.secrets import scrubber
        from spiders.redact import install_log_filter

        install_log_filter(scrubber(self.settings))

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as s:
            yield s

    def init_db(self) -> None:
        upgrade_to_head(self.settings.database_url)

    def at(self, text: str | datetime | None = None) -> datetime:
        """The monitoring time point T: given, or now, always aware in the configured zone."""
        return resolve_at(text, self.tz)
