"""Column types shared by the models."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


# SQLAlchemy's SQLite DATETIME storage: naive UTC, always with microseconds.
_SQLITE_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


class AwareDateTime(TypeDecorator):
    """A timezone-aware datetime on every backend.

    SQLite has no timezone type, so values are normalised to UTC on the way in and come back
    as aware UTC datetimes; PostgreSQL stores ``timestamptz``. Naive datetimes are refused:
    a naive time in this product is always a bug (the platforms mix Beijing and UTC times).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a timezone-aware column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def bind_processor(self, dialect):
        # The write path binds a few timestamps per row: one function instead of
        # process_bind_param chained to SQLite's DATETIME formatting (a %-format of a dict).
        # isoformat gives that format exactly, which is checked here rather than assumed.
        impl = dialect.type_descriptor(self.impl_instance)
        if dialect.name != "sqlite" or getattr(impl, "_storage_format", None) != _SQLITE_FORMAT:
            return super().bind_processor(dialect)
        utc = timezone.utc

        def process(value):
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r} given to a timezone-aware column")
            return value.astimezone(utc).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
