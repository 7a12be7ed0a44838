import zlib
from datetime import timedelta

from felhom_hub.store import Database, reports
from felhom_hub.store.reports import ReportSummary
from tests.conftest import START, store_report


def test_latest_is_each_customers_newest(db: Database) -> None:
    store_report(db, "a", START)
    newest = store_report(db, "a", START + timedelta(minutes=15), health="warn")
    with db.read() as conn:
        found = reports.latest(conn, customer_id="a")
        assert reports.latest(conn, customer_id="b") is None
    assert found is not None
    assert found[0].report_id == newest and found[0].health == "warn"


def test_raw_reports_compress_against_the_customers_own_dictionary(db: Database) -> None:
    body = b'{"customer_id":"a","hostname":"node","system":{"cpu_percent":%d},"pad":"%s"}'
    for minute in range(20):
        summary = ReportSummary(
            "a", 0, START + timedelta(minutes=15 * minute), "1", "ok", "n", None, False
        )
        with db.write() as conn:
            reports.add(conn, summary, body % (minute, b"x" * 2000))
    with db.read() as conn:
        sizes = conn.exec_driver_sql("SELECT length(body) FROM raw_reports").scalars().all()
        dictionaries = conn.exec_driver_sql("SELECT count(*) FROM report_dicts").scalar_one()
        page, more = reports.raw_page(conn, customer_id="a", before_id=None, since=START, limit=50)
        capped, cut = reports.raw_page(
            conn, customer_id="a", before_id=None, since=START, limit=50, max_bytes=5000
        )
    plain = len(zlib.compress(body % (5, b"x" * 2000)))
    assert dictionaries == 1  # 20 reports within a day share one
    assert max(sizes[1:]) < plain / 2  # against the dictionary each costs much less
    assert [r.report["system"]["cpu_percent"] for r in page] == list(range(19, -1, -1))
    assert not more
    assert len(capped) == 2 and cut  # ~2 KB each: a third would pass 5,000 bytes


def test_a_new_dictionary_after_a_day(db: Database) -> None:
    store_report(db, "a", START)
    store_report(db, "a", START + timedelta(hours=23))
    store_report(db, "a", START + timedelta(hours=25))
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM report_dicts").scalar_one() == 2


def test_prune_deletes_at_most_one_batch_and_never_the_latest(db: Database) -> None:
    for day in range(10):
        store_report(db, "a", START - timedelta(days=200 - day))
    with db.write() as conn:
        assert reports.prune(conn, older_than=START - timedelta(days=90), batch=4) == 4
    with db.read() as conn:
        assert reports.count(conn) == 6
    with db.write() as conn:
        reports.prune(conn, older_than=START, batch=100)
    with db.read() as conn:
        assert reports.count(conn) == 0
        assert reports.latest(conn, customer_id="a") is not None


def test_a_rolled_back_dictionary_never_serves_a_later_report(db: Database) -> None:
    """The unpacked-dictionary cache: the transaction that created a dictionary is undone,
    SQLite hands its id out again, and every report still reads back as sent."""

    class UndoError(Exception):
        pass

    def summary(customer_id: str) -> ReportSummary:
        return ReportSummary(customer_id, 0, START, "1", "ok", "n", None, False)

    try:
        with db.write() as conn:
            reports.add(conn, summary("a"), b'{"customer_id":"a","v":"first"}')
            raise UndoError
    except UndoError:
        pass
    with db.write() as conn:
        reports.add(conn, summary("b"), b'{"customer_id":"b","v":"second"}')
    later = ReportSummary("b", 0, START + timedelta(minutes=15), "1", "ok", "n", None, False)
    with db.write() as conn:
        reports.add(conn, later, b'{"customer_id":"b","v":"third"}')
    with db.read() as conn:
        page, _ = reports.raw_page(conn, customer_id="b", before_id=None, since=START, limit=5)
        assert reports.latest(conn, customer_id="a") is None
    assert [r.report["v"] for r in page] == ["third", "second"]
