"""Events waiting for the notification dispatcher."""

from felhom_hub.store import Database, events, notifications
from tests.conftest import START


def test_undispatched_counts_what_the_dispatcher_has_not_claimed(db: Database) -> None:
    with db.write() as conn:
        for n in range(3):
            events.add(
                conn,
                customer_id="acme",
                event_type="backup_failed",
                severity="error",
                message=f"restic exited {n}",
                details_json="{}",
                source="controller",
                occurred_at=None,
                received_at=START,
            )
    with db.read() as conn:
        assert events.undispatched(conn) == 3
    with db.write() as conn:
        assert len(notifications.claim_events(conn, limit=2)) == 2
    with db.read() as conn:
        assert events.undispatched(conn) == 1
