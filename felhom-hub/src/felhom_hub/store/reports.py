"""Reports: one row per push, the full JSON plus the columns the fleet views need."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, and_, delete, func, insert, select

from felhom_hub.store.schema import reports


@dataclass(frozen=True, slots=True)
class ReportSummary:
    id: int
    customer_id: str
    received_at: datetime
    controller_version: str
    health: str
    hostname: str
    controller_url: str | None
    monitoring_paused: bool


@dataclass(frozen=True, slots=True)
class StoredReport:
    summary: ReportSummary
    body: str


_SUMMARY = (
    reports.c.id,
    reports.c.customer_id,
    reports.c.received_at,
    reports.c.controller_version,
    reports.c.health,
    reports.c.hostname,
    reports.c.controller_url,
    reports.c.monitoring_paused,
)

_INSERT = insert(reports).returning(reports.c.id)


def add(
    conn: Connection,
    *,
    customer_id: str,
    received_at: datetime,
    controller_version: str,
    health: str,
    hostname: str,
    controller_url: str | None,
    monitoring_paused: bool,
    body: str,
) -> int:
    """Insert one report and return its id."""
    result = conn.execute(
        _INSERT,
        {
            "customer_id": customer_id,
            "received_at": received_at,
            "controller_version": controller_version,
            "health": health,
            "hostname": hostname,
            "controller_url": controller_url,
            "monitoring_paused": int(monitoring_paused),
            "body": body,
        },
    )
    return int(result.scalar_one())


def _summary(row: tuple[object, ...]) -> ReportSummary:
    values = list(row)
    values[7] = bool(values[7])
    return ReportSummary(*values)  # type: ignore[arg-type]


def _latest_ids() -> Select[tuple[int]]:
    return select(func.max(reports.c.id)).group_by(reports.c.customer_id)


def latest_per_customer(conn: Connection) -> dict[str, ReportSummary]:
    """The newest report summary of every customer that has reported."""
    query = select(*_SUMMARY).where(reports.c.id.in_(_latest_ids()))
    return {row.customer_id: _summary(tuple(row)) for row in conn.execute(query)}


def latest(conn: Connection, *, customer_id: str) -> StoredReport | None:
    query = (
        select(*_SUMMARY, reports.c.body)
        .where(reports.c.customer_id == customer_id)
        .order_by(reports.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else StoredReport(_summary(tuple(row)[:-1]), row.body)


def history(
    conn: Connection, *, customer_id: str, since: datetime, limit: int
) -> list[StoredReport]:
    """Reports received at or after ``since``, oldest first, at most ``limit`` of the newest."""
    query = (
        select(*_SUMMARY, reports.c.body)
        .where(and_(reports.c.customer_id == customer_id, reports.c.received_at >= since))
        .order_by(reports.c.id.desc())
        .limit(limit)
    )
    rows = [StoredReport(_summary(tuple(r)[:-1]), r.body) for r in conn.execute(query)]
    rows.reverse()
    return rows


def prune(conn: Connection, *, older_than: datetime, batch: int) -> int:
    """Delete up to ``batch`` reports older than the cutoff, never a customer's newest one."""
    doomed = (
        select(reports.c.id)
        .where(reports.c.received_at < older_than, reports.c.id.not_in(_latest_ids()))
        .limit(batch)
    )
    return conn.execute(delete(reports).where(reports.c.id.in_(doomed))).rowcount


def count(conn: Connection, *, customer_id: str | None = None) -> int:
    query = select(func.count()).select_from(reports)
    if customer_id is not None:
        query = query.where(reports.c.customer_id == customer_id)
    return int(conn.execute(query).scalar_one())
