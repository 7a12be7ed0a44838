"""The dead man's switch's state in ``fleet``: ``alert_state`` and ``alert_after`` (the epoch
second the next transition falls due, NULL when none can). Changes are compare-and-set; a
report re-arms the switch in its own fleet upsert (``store/ingest.py``)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from felhom_hub.alerting.deadman import NodeState
from felhom_hub.store.dialect import driver, is_postgresql
from felhom_hub.store.schema import from_text


@dataclass(frozen=True, slots=True)
class Due:
    customer_id: str
    state: NodeState
    alert_after: int
    received_at: datetime
    hostname: str | None
    threshold: timedelta
    blocked: bool


_THRESHOLD = "coalesce(c.stale_threshold_s, :default_s)"
# A customer's stale threshold (its own, else the default) and whether it is blocked, from
# ``customer_configs c`` joined to ``fleet f``; the report path (store/ingest.py) reads the same.
THRESHOLD_AND_BLOCKED = f"{_THRESHOLD}, CASE WHEN c.status = 'blocked' THEN 1 ELSE 0 END"

_DUE = (
    "SELECT f.customer_id, f.alert_state, f.alert_after, f.received_at, f.hostname,"
    f" {THRESHOLD_AND_BLOCKED}"
    " FROM fleet f LEFT JOIN customer_configs c ON c.customer_id = f.customer_id"
    " WHERE f.alert_after IS NOT NULL AND f.alert_after <= :now ORDER BY f.alert_after LIMIT :n"
)
_ADVANCE = (
    "UPDATE fleet SET alert_state = ?, alert_after = ?"
    " WHERE customer_id = ? AND alert_state = ? AND alert_after = ?"
)


def due(conn: Connection, *, now: datetime, default_threshold: timedelta, limit: int) -> list[Due]:
    """Customers whose next transition is due, oldest deadline first (partial-index seek)."""
    params = {
        "now": int(now.timestamp()),
        "n": limit,
        "default_s": int(default_threshold.total_seconds()),
    }
    return [
        Due(
            customer_id=row[0],
            state=NodeState(row[1]),
            alert_after=int(row[2]),
            received_at=from_text(row[3]),
            hostname=row[4],
            threshold=timedelta(seconds=int(row[5])),
            blocked=bool(row[6]),
        )
        for row in driver(conn).execute(_DUE, params)
    ]


def advance(conn: Connection, found: Due, state: NodeState, due_at: int | None) -> bool:
    """Move the customer on if it is still as ``found`` left it; False when someone else did."""
    args = (state.value, due_at, found.customer_id, found.state.value, found.alert_after)
    return driver(conn).execute(_ADVANCE, args).rowcount == 1


# The whole seconds of the stored UTC text ("2026-11-22T12:00:00.000000Z"), by is_postgresql.
_EPOCH_SECONDS = {
    False: "CAST(strftime('%s', substr(f.received_at, 1, 19)) AS INTEGER)",
    True: "CAST(extract(epoch FROM CAST(substr(f.received_at, 1, 19) AS timestamp)) AS BIGINT)",
}


def rearm_all(conn: Connection, *, default_threshold: timedelta) -> int:
    """Recompute every deadline from the latest report and the thresholds now configured (at
    start-up and after an unblock, so a changed setting or state takes effect at once)."""
    received = _EPOCH_SECONDS[is_postgresql(conn)]
    # A deadline is a whole second: a report at 12:00:00.5 falls due a second later.
    fraction = "CASE WHEN substr(f.received_at, 21, 6) != '000000' THEN 1 ELSE 0 END"
    threshold = "coalesce((SELECT stale_threshold_s FROM customer_configs c"
    threshold += " WHERE c.customer_id = f.customer_id), :default_s)"
    blocked = "EXISTS (SELECT 1 FROM customer_configs c WHERE c.customer_id = f.customer_id"
    blocked += " AND c.status = 'blocked')"
    statement = (
        "UPDATE fleet AS f SET alert_after = CASE"
        f" WHEN f.report_id IS NULL OR f.monitoring_paused = 1 OR {blocked} THEN NULL"
        f" WHEN f.alert_state = 'up' THEN {received} + {threshold} + ({fraction})"
        f" WHEN f.alert_state = 'stale' THEN {received} + 2 * {threshold} + 1"
        " ELSE NULL END"
    )
    params = {"default_s": int(default_threshold.total_seconds())}
    return driver(conn).execute(statement, params).rowcount


def disarm(conn: Connection, *, customer_id: str) -> None:
    """No transition can fall due (the customer is blocked)."""
    driver(conn).execute(
        "UPDATE fleet SET alert_after = NULL WHERE customer_id = ?", (customer_id,)
    )
