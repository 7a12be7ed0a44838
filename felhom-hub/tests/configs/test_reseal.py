"""Secrets at rest: infra backups sealed on arrival, plaintext ones from before sealed at start,
values of an old key re-sealed with the new one, values of a lost key left alone."""

import base64
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from felhom_hub.app import create_app
from felhom_hub.configs import accounts, records
from felhom_hub.configs.reseal import reseal_all, reseal_at_start
from felhom_hub.configs.vault import Vault
from felhom_hub.store import Database, configs, infra_backups
from tests.configs.helpers import TOKEN, managed, stored
from tests.conftest import GLOBAL_AUTH, START, make_settings

PASSWORD = "restic-primary-password-77"
YAML_B64 = base64.b64encode(b"hub: {api_key: node-key-in-backup}\n").decode()
BACKUP = {
    "customer_id": "acme",
    "controller_yaml": YAML_B64,
    "settings_json": base64.b64encode(b"{}").decode(),
    "restic_passwords": {"primary": PASSWORD},
}
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def hub(tmp_path: Path, *keys: str) -> TestClient:
    settings = make_settings(tmp_path, configs={"secret_keys": ",".join(keys)})
    return TestClient(create_app(settings, run_jobs=False))


def dump(tmp_path: Path) -> str:
    return "\n".join(sqlite3.connect(tmp_path / "hub.db").iterdump())


@pytest.fixture
def old_hub(tmp_path: Path) -> Iterator[TestClient]:
    with hub(tmp_path, OLD) as client:
        yield client


def test_an_infra_backup_is_sealed_at_rest_and_served_back(
    tmp_path: Path, old_hub: TestClient
) -> None:
    assert old_hub.post("/api/v1/infra-backup", json=BACKUP, headers=GLOBAL_AUTH).status_code == 201
    assert PASSWORD not in dump(tmp_path) and YAML_B64 not in dump(tmp_path)
    served = old_hub.get("/api/v1/infra-backup/acme", headers=GLOBAL_AUTH)
    assert served.json()["backup"]["restic_passwords"]["primary"] == PASSWORD
    assert served.json()["backup"]["controller_yaml"] == YAML_B64


def test_a_new_first_key_reseals_everything_at_start(tmp_path: Path, old_hub: TestClient) -> None:
    old_hub.post("/api/v1/infra-backup", json=BACKUP, headers=GLOBAL_AUTH)
    db: Database = old_hub.app.state.db  # type: ignore[attr-defined]
    with db.write() as conn:
        accounts.create(conn, old_hub.app.state.vault, managed(), now=START)  # type: ignore[attr-defined]
    old_hub.__exit__(None, None, None)
    with hub(tmp_path, NEW, OLD):  # rotation: the new key first, the old one still opens
        pass
    with hub(tmp_path, NEW) as only_new:  # the old key is gone, everything still opens
        served = only_new.get("/api/v1/infra-backup/acme", headers=GLOBAL_AUTH)
        assert served.json()["backup"]["restic_passwords"]["primary"] == PASSWORD
        with only_new.app.state.db.read() as conn:  # type: ignore[attr-defined]
            stored = records.load(conn, only_new.app.state.vault, "acme")  # type: ignore[attr-defined]
    assert stored is not None and stored.config.tokens == {"cloudflare": TOKEN}


def test_plaintext_backups_from_before_are_sealed(tmp_path: Path, db: Database) -> None:
    with db.write() as conn:
        infra_backups.add(
            conn, customer_id="acme", received_at=START, body=f'{{"p": "{PASSWORD}"}}'
        )
    vault = Vault([NEW.encode()])
    assert reseal_all(db, vault).backups == 1
    assert PASSWORD not in dump(tmp_path)
    assert reseal_all(db, vault).backups == 0  # nothing left to do


def test_values_of_a_lost_key_are_counted_and_left(tmp_path: Path, db: Database) -> None:
    with db.write() as conn:
        records.save(conn, Vault([OLD.encode()]), stored(), now=START)
        before = configs.get(conn, customer_id="acme")
    result = reseal_all(db, Vault([NEW.encode()]))
    assert result.unreadable == 1 and result.configs == 0
    with db.read() as conn:
        assert configs.get(conn, customer_id="acme") == before


def test_a_database_fault_stops_the_start_up_task_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "hub.db"
    broken.write_bytes(b"this is not a database" * 500)
    db = Database(broken)
    assert reseal_at_start(db, Vault([NEW.encode()])) is None
    assert "sealing with the current key stopped" in caplog.text
    db.dispose()
