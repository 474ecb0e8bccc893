"""Many rows through one statement, straight to the DBAPI cursor (one executemany).

SQLAlchemy's own execute builds and processes a parameter dict for every row, which cost the
crawl's writer more than the database's work. ``executemany`` compiles the statement once per
dialect and key set, and sends every value through its column's own bind processor, the
conversion SQLAlchemy would make, so the same rows are stored. A value object met again in
the next row is converted once (a night's ``first_seen_at`` is one object on every row).
Errors are SQLAlchemy's as usual: the connection wraps the driver's, and a value a bind
processor refuses is a ``StatementError`` as it would be in ``Connection.execute``.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable

from sqlalchemy import Connection
from sqlalchemy.exc import StatementError
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    values: Callable[[dict[str, Any]], tuple]  # a row's values in ``names`` order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor)
    positional: bool


_PLANS: dict[tuple, _Plan] = {}


def _plan(stmt: ClauseElement, dialect, keys: tuple[str, ...]) -> _Plan | None:
    """None when the rows leave parameters to SQLAlchemy (a column default) or need it to
    render some (an expanding IN)."""
    cache_key = (stmt, type(dialect), dialect.server_version_info, dialect.paramstyle, keys)
    if cache_key in _PLANS:
        return _PLANS[cache_key]
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    binds = compiled.binds
    plan = None
    if set(names) == set(keys) and not any(b.expanding or b.literal_execute for b in binds.values()):
        processors = []
        for i, name in enumerate(names):
            process = binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((i, process))
        values = itemgetter(*names) if len(names) > 1 else (lambda row, n=names[0]: (row[n],))
        plan = _Plan(compiled.string, names, values, tuple(processors), compiled.positional)
    _PLANS[cache_key] = plan
    return plan


def executemany(conn: Connection, stmt: ClauseElement, rows: list[dict[str, Any]]) -> None:
    """Run ``stmt`` once per row (every row with the same keys); rows that leave a column to
    its default go through ``Connection.execute``, which fills it in."""
    if not rows:
        return
    plan = _plan(stmt, conn.dialect, tuple(rows[0]))
    if plan is None:
        conn.execute(stmt, rows)
        return
    processors = plan.processors
    seen: list[Any] = [_NOTHING] * len(processors)
    made: list[Any] = [None] * len(processors)
    params = []
    for row in rows:
        values = list(plan.values(row))
        for j, (i, process) in enumerate(processors):
            value = values[i]
            if value is not seen[j]:
                try:
                    made[j] = process(value)
                except Exception as exc:  # a value the column refuses (a naive time): as SQLAlchemy says it
                    raise StatementError(str(exc), plan.sql, row, exc) from exc
                seen[j] = value
            values[i] = made[j]
        params.append(tuple(values) if plan.positional else dict(zip(plan.names, values)))
    conn.exec_driver_sql(plan.sql, params)


_NOTHING = object()
