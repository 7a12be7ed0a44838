from datetime import timedelta

from felhom_hub.store import Database, reports
from tests.conftest import START, store_report


def test_latest_per_customer_picks_each_newest(db: Database) -> None:
    store_report(db, "a", START)
    newest_a = store_report(db, "a", START + timedelta(minutes=15), health="warn")
    newest_b = store_report(db, "b", START)
    with db.read() as conn:
        latest = reports.latest_per_customer(conn)
    assert {k: v.id for k, v in latest.items()} == {"a": newest_a, "b": newest_b}
    assert latest["a"].health == "warn"


def test_prune_keeps_each_customers_newest_report_whatever_its_age(db: Database) -> None:
    old = START - timedelta(days=200)
    store_report(db, "gone-quiet", old)
    store_report(db, "active", old)
    store_report(db, "active", old + timedelta(days=1))
    kept = store_report(db, "active", START)
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
        store_report(db, "a", START - timedelta(days=200 - day))
    store_report(db, "a", START)
    with db.write() as conn:
        assert reports.prune(conn, older_than=START - timedelta(days=90), batch=4) == 4
    with db.read() as conn:
        assert reports.count(conn) == 7


def test_history_limit_keeps_the_newest(db: Database) -> None:
    ids = [store_report(db, "a", START + timedelta(minutes=i)) for i in range(5)]
    with db.read() as conn:
        rows = reports.history(conn, customer_id="a", since=START, limit=2)
    assert [r.summary.id for r in rows] == ids[-2:]
