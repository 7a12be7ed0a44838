"""Infrastructure backups and notification preferences, pushed to the real hub."""

import base64
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from felhom_controller.config import load_settings
from felhom_controller.cycle import Controller
from tests.conftest import CUSTOMER
from tests.peers.hub import GLOBAL_KEY, Hub

pytestmark = pytest.mark.slow


def write_config(tmp_path: Path, hub: Hub, key: str, email: str = "ops@example.com") -> Path:
    settings_json = tmp_path / "settings.json"
    settings_json.write_text('{"backup_hour": 3}')
    path = tmp_path / "controller.yaml"
    path.write_text(
        f"identity: {{customer_id: {CUSTOMER}, hostname: node-1}}\n"
        f"hub: {{url: '{hub.url}', api_key: '{key}'}}\n"
        f"engine: {{enabled: false}}\n"
        f"notifications: {{email: '{email}', enabled_events: [node_down, backup_failed]}}\n"
        f"backup: {{restic_password: restic-pw-1, settings_json: '{settings_json}',"
        f" stacks: [{{name: nextcloud, hdd_path: /mnt/hdd1/apps/nextcloud}}]}}\n"
        f"state_dir: {tmp_path / 'state'}\n"
    )
    return path


def controller(path: Path) -> Controller:
    return Controller(load_settings(path, environ={}), path)


def test_the_infra_backup_reaches_the_hub_and_is_not_repeated_until_due(
    hub: Hub, tmp_path: Path
) -> None:
    path = write_config(tmp_path, hub, hub.create_customer(CUSTOMER))
    now = datetime.now(UTC)
    assert controller(path).run_once(now).drained.sent == 3  # report, preferences, infra backup
    answer = httpx.get(
        f"{hub.url}/api/v1/infra-backup/{CUSTOMER}",
        headers={"Authorization": f"Bearer {GLOBAL_KEY}"},
    )
    backup = answer.json()["backup"]
    assert base64.b64decode(backup["controller_yaml"]) == path.read_bytes()
    assert base64.b64decode(backup["settings_json"]) == b'{"backup_hour": 3}'
    assert backup["restic_passwords"]["primary"] == "restic-pw-1"
    ((name, hdd_path),) = [(s["name"], s["hdd_path"]) for s in backup["stacks"]]
    assert (name, hdd_path) == ("nextcloud", "/mnt/hdd1/apps/nextcloud")
    assert controller(path).run_once(now).drained.sent == 1  # only the report
    assert controller(path).run_once(now + timedelta(hours=25)).drained.sent == 2  # daily
    (tmp_path / "settings.json").write_text('{"backup_hour": 4}')
    assert controller(path).run_once(now + timedelta(hours=26)).drained.sent == 2  # changed


def test_preferences_sync_at_start_and_on_change(hub: Hub, tmp_path: Path) -> None:
    key = hub.create_customer(CUSTOMER)
    path = write_config(tmp_path, hub, key)
    assert controller(path).run_once(datetime.now(UTC)).drained.sent == 3
    assert controller(path).run_once(datetime.now(UTC)).drained.sent == 1
    write_config(tmp_path, hub, key, email="new@example.com")
    assert controller(path).run_once(datetime.now(UTC)).drained.sent == 3  # + infra backup
    with sqlite3.connect(f"file:{hub.data_dir / 'hub.db'}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT email, enabled_events FROM customer_notifications WHERE customer_id = ?",
            (CUSTOMER,),
        ).fetchone()
    assert row[0] == "new@example.com"
    assert "node_down" in row[1] and "backup_failed" in row[1]
