"""Metric series: each report's sample added to its 15-minute, hourly and daily buckets.

One multi-row upsert per report does the rollup inside the database: counts and sums add up, maxima
and the worst health are kept, "last" values are overwritten. CPU and disk fill are stored in
tenths of a percent and load in hundredths, as integers (SQLite stores small integers in 1 to 3
bytes, a REAL always in 8).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, select

from felhom_hub.history import Resolution
from felhom_hub.samples import Sample
from felhom_hub.store.dialect import driver, is_postgresql
from felhom_hub.store.schema import metric_series

_COLUMNS = (
    "customer_id, resolution, bucket, n, health, cpu_sum, cpu_max, cpu_n, load_sum, load_max,"
    " load_n, mem_used_sum, mem_n, mem_total, swap_used_sum, swap_n, swap_total, disk_max, disks,"
    " containers_total, containers_running, containers_unhealthy, restic_age, dbdump_age"
)
_NAMES = tuple(c.strip() for c in _COLUMNS.split(","))
_PLACEHOLDERS = ", ".join("?" for _ in _NAMES)


# The table's own values are named with it: PostgreSQL finds a bare name ambiguous beside
# ``excluded``.
_T = "metric_series"


def _added(column: str) -> str:
    return f"{column} = coalesce({_T}.{column}, 0) + coalesce(excluded.{column}, 0)"


def _kept_max(column: str, greatest: str) -> str:
    # SQLite's max() is NULL when either side is: coalesce each side with the other first.
    mine, theirs = (
        f"coalesce({_T}.{column}, excluded.{column})",
        f"coalesce(excluded.{column}, {_T}.{column})",
    )
    return f"{column} = {greatest}({mine}, {theirs})"


def _last(column: str) -> str:
    return f"{column} = coalesce(excluded.{column}, {_T}.{column})"


def _upsert(greatest: str) -> str:
    """The rollup; ``greatest`` is the engine's two-argument maximum (``max`` in SQLite)."""
    return (
        f"INSERT INTO metric_series ({_COLUMNS}) VALUES ({_PLACEHOLDERS}) "
        "ON CONFLICT (customer_id, resolution, bucket) DO UPDATE SET "
        + ", ".join(
            [
                f"n = {_T}.n + 1",
                f"health = {greatest}({_T}.health, excluded.health)",
                *(_added(c) for c in ("cpu_sum", "load_sum", "mem_used_sum", "swap_used_sum")),
                *(f"{c} = {_T}.{c} + excluded.{c}" for c in ("cpu_n", "load_n", "mem_n", "swap_n")),
                *(
                    _kept_max(c, greatest)
                    for c in ("cpu_max", "load_max", "disk_max", "containers_unhealthy")
                ),
                *(
                    _last(c)
                    for c in ("mem_total", "swap_total", "disks", "restic_age", "dbdump_age")
                ),
                "containers_total = excluded.containers_total",
                "containers_running = excluded.containers_running",
            ]
        )
    )


_UPSERT = {False: _upsert("max"), True: _upsert("greatest")}  # by is_postgresql


def _tenths(value: float | None) -> int | None:
    return None if value is None else round(value * 10)


def _values(s: Sample) -> tuple[object, ...]:
    """The row's columns after (customer_id, resolution, bucket), in ``_COLUMNS`` order."""
    load = None if s.load1 is None else round(s.load1 * 100)
    cpu = _tenths(s.cpu_percent)
    return (
        1,
        int(s.health),
        cpu,
        cpu,
        int(cpu is not None),
        load,
        load,
        int(load is not None),
        s.memory_used_bytes,
        int(s.memory_used_bytes is not None),
        s.memory_total_bytes,
        s.swap_used_bytes,
        int(s.swap_used_bytes is not None),
        s.swap_total_bytes,
        _tenths(s.disk_percent_max),
        json.dumps(s.disks, separators=(",", ":")) if s.disks else None,
        s.containers_total,
        s.containers_running,
        s.containers_unhealthy,
        s.restic_age_seconds,
        s.dbdump_age_seconds,
    )


def add(conn: Connection, *, customer_id: str, at: datetime, sample: Sample) -> None:
    """Fold one sample into its bucket of every resolution."""
    values = _values(sample)
    rows = [(customer_id, r.value, r.bucket(at), *values) for r in Resolution]
    driver(conn).executemany(_UPSERT[is_postgresql(conn)], rows)  # see store/dialect.py


@dataclass(frozen=True, slots=True)
class Point:
    """One bucket, as the history API serves it (averages over the reports in it)."""

    at: datetime
    reports: int
    health: int
    cpu_percent: float | None
    cpu_percent_max: float | None
    load1: float | None
    load1_max: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    swap_used_bytes: int | None
    swap_total_bytes: int | None
    disk_used_percent_max: float | None
    disks: dict[str, float]
    containers_total: int
    containers_running: int
    containers_unhealthy: int
    restic_backup_age_seconds: int | None
    dbdump_age_seconds: int | None


def _avg(total: int | None, count: int, scale: float = 1.0) -> float | None:
    return None if not count or total is None else round(total / count / scale, 2)


def _point(row: Sequence[object]) -> Point:
    r = row._mapping  # type: ignore[attr-defined]
    return Point(
        at=datetime.fromtimestamp(r["bucket"], UTC),
        reports=r["n"],
        health=r["health"],
        cpu_percent=_avg(r["cpu_sum"], r["cpu_n"], 10),
        cpu_percent_max=None if r["cpu_max"] is None else r["cpu_max"] / 10,
        load1=_avg(r["load_sum"], r["load_n"], 100),
        load1_max=None if r["load_max"] is None else r["load_max"] / 100,
        memory_used_bytes=_int(_avg(r["mem_used_sum"], r["mem_n"])),
        memory_total_bytes=r["mem_total"],
        swap_used_bytes=_int(_avg(r["swap_used_sum"], r["swap_n"])),
        swap_total_bytes=r["swap_total"],
        disk_used_percent_max=None if r["disk_max"] is None else r["disk_max"] / 10,
        disks=json.loads(r["disks"]) if r["disks"] else {},
        containers_total=r["containers_total"],
        containers_running=r["containers_running"],
        containers_unhealthy=r["containers_unhealthy"],
        restic_backup_age_seconds=r["restic_age"],
        dbdump_age_seconds=r["dbdump_age"],
    )


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def points(
    conn: Connection, *, customer_id: str, resolution: Resolution, since: datetime
) -> list[Point]:
    """The customer's buckets of one resolution from the one holding ``since``, oldest first."""
    query = (
        select(metric_series)
        .where(metric_series.c.customer_id == customer_id)
        .where(metric_series.c.resolution == resolution.value)
        .where(metric_series.c.bucket >= resolution.bucket(since))
        .order_by(metric_series.c.bucket)
    )
    return [_point(row) for row in conn.execute(query)]


def prune(
    conn: Connection, *, customer_ids: Sequence[str], resolution: Resolution, older_than: datetime
) -> int:
    """Drop the buckets of these customers that ended before the cutoff (primary-key seeks)."""
    statement = delete(metric_series).where(
        metric_series.c.customer_id.in_(customer_ids),
        metric_series.c.resolution == resolution.value,
        metric_series.c.bucket < resolution.bucket(older_than),
    )
    return conn.execute(statement).rowcount


def count(conn: Connection, *, resolution: Resolution | None = None) -> int:
    query = select(func.count()).select_from(metric_series)
    if resolution is not None:
        query = query.where(metric_series.c.resolution == resolution.value)
    return int(conn.execute(query).scalar_one())
