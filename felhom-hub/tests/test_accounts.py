import pytest

from felhom_hub.accounts import InvalidCustomerIdError, create_customer
from felhom_hub.secrets import token_hash
from felhom_hub.store import Database, customers
from tests.conftest import START


def test_it_stores_only_hashes_of_fresh_credentials(db: Database) -> None:
    created = create_customer(db, "acme", now=START)
    other = create_customer(db, "globex", now=START)
    assert created.api_key != other.api_key != created.retrieval_password
    with db.read() as conn:
        stored = customers.get(conn, customer_id="acme")
    assert stored is not None and stored.status == "active" and not stored.blocked
    assert stored.api_key_hash == token_hash(created.api_key)
    assert stored.retrieval_password_hash == token_hash(created.retrieval_password)


@pytest.mark.parametrize("bad", ["", "-leading-dash", "has space", "slash/y", "x" * 65, "ümlaut"])
def test_invalid_ids_are_refused_and_nothing_is_stored(db: Database, bad: str) -> None:
    with pytest.raises(InvalidCustomerIdError, match="not a valid customer id"):
        create_customer(db, bad, now=START)
    with db.read() as conn:
        assert customers.all_configs(conn) == []


def test_a_taken_id_is_refused_and_the_first_credentials_stay(db: Database) -> None:
    first = create_customer(db, "acme", now=START)
    with pytest.raises(customers.CustomerExistsError):
        create_customer(db, "acme", now=START)
    with db.read() as conn:
        stored = customers.get(conn, customer_id="acme")
    assert stored is not None and stored.api_key_hash == token_hash(first.api_key)
