"""A report's writes in four statements, the hub's hottest path (``bench/README.md``).

1. the customer's fleet row as it was: its compression dictionary, the dead man's switch
   state, the stale threshold (its own or the default) and whether it is blocked;
2. the raw copy (``reports``);
3. the fleet upsert: the report as the latest, the switch re-armed in the same statement;
4. the three series buckets (``series``).
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection

from felhom_hub.alerting.deadman import NodeState, stale_at
from felhom_hub.samples import Sample
from felhom_hub.store import reports, series
from felhom_hub.store.deadman import THRESHOLD_AND_BLOCKED
from felhom_hub.store.dialect import driver, is_postgresql
from felhom_hub.store.reports import ReportSummary


@dataclass(frozen=True, slots=True)
class Stored:
    report_id: int
    was: NodeState  # the switch's state before this report: stale or down means recovered


_PRIOR = (
    f"SELECT f.dict_id, f.dict_at, f.alert_state, {THRESHOLD_AND_BLOCKED}"
    " FROM fleet f LEFT JOIN customer_configs c ON c.customer_id = f.customer_id"
    " WHERE f.customer_id = :customer_id"
)
# PostgreSQL: lock the row read, so two replicas storing reports of one customer at once take
# turns (each sees the switch state the other left; SQLite's single writer does that anyway).
_PRIOR_LOCKED = _PRIOR + " FOR UPDATE OF f"
_CONFIG_ONLY = (  # a customer's first report: no fleet row yet, perhaps a config
    f"SELECT NULL, NULL, 'up', {THRESHOLD_AND_BLOCKED}"
    " FROM (SELECT :customer_id AS customer_id) AS f"
    " LEFT JOIN customer_configs c ON c.customer_id = f.customer_id"
)


def add_report(
    conn: Connection,
    summary: ReportSummary,
    body: bytes,
    sample: Sample,
    *,
    default_threshold: timedelta,
) -> Stored:
    """Store the report, its samples, and re-arm the dead man's switch (none while the
    report says monitoring is paused, or the customer is blocked)."""
    db = driver(conn)
    args = {
        "default_s": int(default_threshold.total_seconds()),
        "customer_id": summary.customer_id,
    }
    prior = db.execute(_PRIOR_LOCKED if is_postgresql(conn) else _PRIOR, args).fetchone()
    prior = prior or db.execute(_CONFIG_ONLY, args).fetchone()
    dict_id, dict_at, state, threshold_s, blocked = prior
    armed = None
    if not (summary.monitoring_paused or blocked):
        armed = stale_at(summary.received_at, timedelta(seconds=int(threshold_s)))
    report_id = reports.write(
        conn,
        summary,
        body,
        current=(dict_id, dict_at),
        fleet_extra=(("alert_state", NodeState.UP.value), ("alert_after", armed)),
    )
    series.add(conn, customer_id=summary.customer_id, at=summary.received_at, sample=sample)
    return Stored(report_id, NodeState(state))
