from datetime import timedelta

from felhom_hub.store import Database, infra_backups
from tests.conftest import START


def test_trim_keeps_the_newest_versions_of_that_customer(db: Database) -> None:
    with db.write() as conn:
        for i in range(5):
            infra_backups.add(
                conn, customer_id="a", received_at=START + timedelta(hours=i), body=str(i)
            )
        infra_backups.add(conn, customer_id="b", received_at=START, body="b")
    with db.write() as conn:
        assert infra_backups.trim(conn, customer_id="a", keep=2) == 3
        assert infra_backups.trim(conn, customer_id="b", keep=2) == 0
    with db.read() as conn:
        assert infra_backups.count(conn, customer_id="a") == 2
        assert infra_backups.count(conn, customer_id="b") == 1
        latest = infra_backups.latest(conn, customer_id="a")
    assert latest is not None and latest.body == "4"
