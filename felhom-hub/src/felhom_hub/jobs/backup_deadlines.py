"""The backup deadline checker, daily at ``alerting.backup_check_at`` (05:00 Europe/Budapest):
a customer whose latest report lists restic backups (database dumps) and that has sent no
``backup_completed`` (``dbdump_completed``) since local midnight gets ``expected_backup_missed``
(``expected_dbdump_missed``).

Each day's slot is taken in ``job_runs`` before the check runs, so it runs once per day across
restarts and hub processes; a hub that was down at the slot catches up within ``GRACE``, later
the day's check is skipped (it would judge a day the hub did not watch).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from felhom_hub.alerting.hub_events import hub_event
from felhom_hub.events import EventType
from felhom_hub.jobs.schedule import HUB_TZ, next_daily
from felhom_hub.store import Database, backup_checks, job_runs

JOB = "backup-deadlines"
GRACE = timedelta(hours=1)
CHECKS = (
    ("restic", EventType.BACKUP_COMPLETED, EventType.EXPECTED_BACKUP_MISSED),
    ("dbdump", EventType.DBDUMP_COMPLETED, EventType.EXPECTED_DBDUMP_MISSED),
)


@dataclass(frozen=True, slots=True)
class Checked:
    slot: str
    customers: int = 0
    missed: int = 0


def latest_slot(now: datetime, at: time) -> datetime:
    """The most recent moment at or before ``now`` when the Budapest clock showed ``at``."""
    candidate = next_daily(now - timedelta(days=2), at)
    for _ in range(4):  # at most two days of slots lie between
        following = next_daily(candidate, at)
        if following > now:
            break
        candidate = following
    return candidate


def run_once(db: Database, *, now: datetime, at: time) -> Checked | None:
    """Check the day's slot if it is due, untaken and within the grace; else None."""
    slot = latest_slot(now, at)
    if now - slot > GRACE:
        return None
    label = slot.astimezone(HUB_TZ).date().isoformat()
    midnight = datetime.combine(slot.astimezone(HUB_TZ).date(), time(0), tzinfo=HUB_TZ)
    with db.write() as conn:
        if not job_runs.take(conn, job=JOB, slot=label, now=now):
            return None
        customers = missed = 0
        for customer_id, kinds in list(backup_checks.reporting_customers(conn)):
            customers += 1
            for kind, completed, missing in CHECKS:
                if kind not in kinds or backup_checks.completed_since(
                    conn, customer_id=customer_id, event_type=completed.value, since=midnight
                ):
                    continue
                missed += 1
                hub_event(
                    conn,
                    customer_id=customer_id,
                    event_type=missing,
                    message=f"no {completed.value} event since midnight (Europe/Budapest)",
                    details={"since": midnight.isoformat(), "kind": kind},
                    now=now,
                )
    return Checked(label, customers, missed)
