from datetime import datetime, timedelta

from felhom_hub.store import Database, reports

from tests.conftest import START


def add(db: Database, customer_id: str, at: datetime, health: str = "ok") -> int:
    with db.write() as conn:
        return reports.add(
            conn,
            customer_id=customer_id,
            received_at=at,
            controller_version="1",
            health=health,
            hostname="h",
            controller_url=None,
            monitoring_paused=False,
            body="{}",
        )


def test_latest_per_customer_picks_each_newest(db: Database) -> None:
    add(db, "a", START)
    newest_a = add(db, "a", START + timedelta(minutes=15), health="warn")
    newest_b = add(db, "b", START)
    with db.read() as conn:
        latest = reports.latest_per_customer(conn)
    assert {k: v.id for k, v in latest.items()} == {"a": newest_a, "b": newest_b}
    assert latest["a"].health == "warn"


def test_prune_keeps_each_customers_newest_report_whatever_its_age(db: Database) -> None:
    old = START - timedelta(days=200)
    add(db, "gone-quiet", old)
    add(db, "active", old)
    add(db, "active", old + timedelta(days=1))
    kept = add(db, "active", START)
    with db.write() as conn:
        deleted = reports.prune(conn, older_than=START - timedelta(days=90), batch=100)
    assert deleted == 2
    with db.read() as conn:
        assert reports.count(conn, customer_id="gone-quiet") == 1
        assert reports.count(conn, customer_id="active") == 1
        latest = reports.latest(conn, customer_id="active")
    assert latest is not None and latest.summary.id == kept


def test_prune_deletes_at_most_one_batch(db: Database) -> None:
    for day in range(10):
        add(db, "a", START - timedelta(days=200 - day))
    add(db, "a", START)
    with db.write() as conn:
        assert reports.prune(conn, older_than=START - timedelta(days=90), batch=4) == 4
    with db.read() as conn:
        assert reports.count(conn) == 7


def test_history_limit_keeps_the_newest(db: Database) -> None:
    ids = [add(db, "a", START + timedelta(minutes=i)) for i in range(5)]
    with db.read() as conn:
        rows = reports.history(conn, customer_id="a", since=START, limit=2)
    assert [r.summary.id for r in rows] == ids[-2:]
