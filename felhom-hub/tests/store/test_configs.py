from cryptography.fernet import Fernet
from sqlalchemy import select

from felhom_hub.configs import records
from felhom_hub.configs.vault import Vault
from felhom_hub.store import Database, configs, customers
from felhom_hub.store.schema import metadata
from tests.configs.helpers import API_KEY, SESSION_SECRET, TOKEN, managed, stored
from tests.conftest import START, FakeClock

VAULT = Vault([Fernet.generate_key()])


def test_saved_config_reads_back_whole(db: Database) -> None:
    with db.write() as conn:
        records.save(conn, VAULT, stored(stale_threshold_minutes=45, expect_restic=True), now=START)
    with db.read() as conn:
        loaded = records.load(conn, VAULT, "acme")
        row = configs.get(conn, customer_id="acme")
    assert loaded == stored(stale_threshold_minutes=45, expect_restic=True)
    assert row is not None and row.expect_restic == 1 and row.expect_dbdump is None


def test_a_database_dump_shows_no_secret(db: Database) -> None:
    with db.write() as conn:
        records.save(conn, VAULT, stored(), now=START)
    with db.read() as conn:
        dump = "\n".join(
            repr(tuple(row))
            for table in metadata.sorted_tables
            for row in conn.execute(select(table))
        )
    assert "acme-node-1" in dump  # the identity columns are plain
    for secret in (API_KEY, SESSION_SECRET, TOKEN, "alerts@acme.example"):
        assert secret not in dump


def test_stale_threshold_goes_where_the_dead_mans_switch_reads_it(db: Database) -> None:
    with db.write() as conn:
        customers.create(
            conn, customer_id="acme", api_key_hash="k", retrieval_password_hash="r", now=START
        )
        records.save(conn, VAULT, stored(stale_threshold_minutes=90), now=START)
    with db.read() as conn:
        found = customers.get(conn, customer_id="acme")
    assert found is not None and found.stale_threshold_s == 5400


def test_update_keeps_credentials_and_creation_time(db: Database, clock: FakeClock) -> None:
    with db.write() as conn:
        records.save(conn, VAULT, stored(), now=START)
    clock.advance(hours=1)
    with db.write() as conn:
        records.update_config(conn, VAULT, managed(display_name="Renamed"), now=clock.now)
    with db.read() as conn:
        loaded = records.load(conn, VAULT, "acme")
        row = configs.get(conn, customer_id="acme")
    assert loaded is not None and loaded.config.display_name == "Renamed"
    assert loaded.credentials.api_key == API_KEY
    assert row is not None and row.created_at == START and row.updated_at == clock.now


def test_update_or_load_of_a_missing_config_is_none(db: Database) -> None:
    with db.write() as conn:
        assert records.update_config(conn, VAULT, managed(), now=START) is None
        assert records.load(conn, VAULT, "acme") is None
        assert not configs.remove(conn, customer_id="acme")
