import pytest

from felhom_hub.store import Database, customers
from tests.conftest import START


def test_create_get_block_unblock(db: Database) -> None:
    with db.write() as conn:
        customers.create(
            conn, customer_id="acme", api_key_hash="k", retrieval_password_hash="r", now=START
        )
        assert customers.set_status(conn, customer_id="acme", status="blocked", now=START)
        found = customers.by_api_key_hash(conn, api_key_hash="k")
    assert found is not None and found.status == "blocked"


def test_creating_twice_is_refused(db: Database) -> None:
    with db.write() as conn:
        customers.create(
            conn, customer_id="a", api_key_hash="k", retrieval_password_hash="r", now=START
        )
    with pytest.raises(customers.CustomerExistsError), db.write() as conn:
        customers.create(
            conn, customer_id="a", api_key_hash="k2", retrieval_password_hash="r", now=START
        )


def test_unknown_customer_status_change_reports_false(db: Database) -> None:
    with db.write() as conn:
        assert not customers.set_status(conn, customer_id="nobody", status="blocked", now=START)
