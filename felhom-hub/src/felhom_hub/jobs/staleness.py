"""The staleness checker (the dead man's switch), every ``alerting.check_interval``: customers
whose deadline has passed move on (up -> stale -> down), each change one hub event, in one
write transaction with a compare-and-set, so two hubs on one database cannot both emit it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from felhom_hub.alerting import deadman as switch
from felhom_hub.alerting.hub_events import hub_event
from felhom_hub.store import Database, deadman

BATCH = 500
_RANK = {switch.NodeState.UP: 0, switch.NodeState.STALE: 1, switch.NodeState.DOWN: 2}


@dataclass(frozen=True, slots=True)
class Sweep:
    stale: int = 0
    down: int = 0
    rearmed: int = 0

    def __add__(self, other: "Sweep") -> "Sweep":
        return Sweep(self.stale + other.stale, self.down + other.down, self.rearmed + other.rearmed)

    def __bool__(self) -> bool:
        return bool(self.stale or self.down or self.rearmed)


def _move(conn: Connection, due: deadman.Due, now: datetime) -> Sweep:
    if due.blocked:
        deadman.disarm(conn, customer_id=due.customer_id)
        return Sweep(rearmed=1)
    target = switch.step(due.received_at, due.threshold, now)
    if _RANK[target.state] <= _RANK[due.state]:
        # Not further along than recorded (e.g. the threshold was raised): only a new deadline.
        next_due = switch.down_at(due.received_at, due.threshold)
        if due.state is switch.NodeState.UP:
            next_due = switch.stale_at(due.received_at, due.threshold)
        deadman.advance(conn, due, due.state, next_due)
        return Sweep(rearmed=1)
    if not deadman.advance(conn, due, target.state, target.due_at):
        return Sweep()  # another hub process moved it first
    event_type = switch.EVENT_OF[target.state]
    hub_event(
        conn,
        customer_id=due.customer_id,
        event_type=event_type,
        message=switch.message(event_type, due.hostname, now - due.received_at),
        details={
            "last_report_at": due.received_at.isoformat(),
            "threshold_seconds": int(due.threshold.total_seconds()),
        },
        now=now,
    )
    if target.state is switch.NodeState.STALE:
        return Sweep(stale=1)
    return Sweep(down=1)


def run_once(db: Database, *, now: datetime, default_threshold: timedelta) -> Sweep:
    """One batch of due customers in one transaction; a full batch means call again."""
    with db.write() as conn:
        found = deadman.due(conn, now=now, default_threshold=default_threshold, limit=BATCH)
        total = Sweep()
        for due in found:
            total += _move(conn, due, now)
    return total


def sweep(db: Database, *, now: datetime, default_threshold: timedelta) -> Sweep:
    """Drain everything due at ``now`` (bounded: each pass clears or re-arms what it read)."""
    total = Sweep()
    for _ in range(10_000):
        step = run_once(db, now=now, default_threshold=default_threshold)
        total += step
        if step.stale + step.down + step.rearmed < BATCH:
            break
    return total
