"""The controller against the real hub process: reports, events, outages, refusals."""

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from felhom_controller.cycle import Controller
from felhom_controller.spool import Kind
from felhom_controller.testing.podman import Podman
from tests.conftest import CUSTOMER, make_settings
from tests.peers.hub import Hub, prepare_hub

pytestmark = pytest.mark.slow


def controller_for(hub: Hub, state: Path, key: str, **sections: dict[str, object]) -> Controller:
    return Controller(make_settings(state, hub={"url": hub.url, "api_key": key}, **sections))


def test_a_cycle_lands_in_the_hub_as_the_customers_latest_report(hub: Hub, tmp_path: Path) -> None:
    key = hub.create_customer(CUSTOMER)
    controller = controller_for(hub, tmp_path / "state", key)
    result = controller.run_once(datetime.now(UTC))
    assert (result.drained.sent, result.drained.retry_in, len(controller.spool)) == (1, None, 0)
    stored = hub.latest_report(CUSTOMER)
    assert stored is not None
    assert stored["hostname"] == "node-1"
    assert stored["health"] == "ok"
    assert stored["system"]["memory_total_bytes"] == psutil.virtual_memory().total
    assert "/" in [m["mount_point"] for m in stored["storage"]]


def test_reports_queued_while_the_hub_is_down_arrive_in_order_later(tmp_path: Path) -> None:
    hub = prepare_hub(tmp_path / "hub")
    key = hub.create_customer(CUSTOMER)  # the hub is created but not running
    controller = controller_for(hub, tmp_path / "state", key)
    for _ in range(3):
        result = controller.run_once(datetime.now(UTC))
        assert result.drained.sent == 0 and result.drained.retry_in is not None
    assert len(controller.spool) == 3
    hub.start()
    try:
        drained = controller.sender.run_once()
        assert (drained.sent, drained.retry_in, len(controller.spool)) == (3, None, 0)
        assert len(hub.history(CUSTOMER)) == 3
    finally:
        hub.stop()


def test_a_wrong_key_keeps_the_report_until_the_key_is_fixed(hub: Hub, tmp_path: Path) -> None:
    key = hub.create_customer(CUSTOMER)
    wrong = controller_for(hub, tmp_path / "state", "not-the-key-0123456789")
    assert wrong.run_once(datetime.now(UTC)).drained.sent == 0
    assert len(wrong.spool) == 1 and hub.latest_report(CUSTOMER) is None
    fixed = controller_for(hub, tmp_path / "state", key)
    assert fixed.sender.run_once().sent == 1
    assert hub.latest_report(CUSTOMER) is not None


def test_a_body_the_hub_refuses_is_set_aside_and_the_rest_still_flows(
    hub: Hub, tmp_path: Path
) -> None:
    key = hub.create_customer(CUSTOMER)
    controller = controller_for(hub, tmp_path / "state", key)
    bogus = {"customer_id": CUSTOMER, "event_type": "node_down", "severity": "error"}
    controller.spool.put(Kind.EVENT, {**bogus, "message": "x"})  # a hub-only type: 422
    result = controller.run_once(datetime.now(UTC))
    assert (result.drained.rejected, result.drained.sent) == (1, 1)
    (rejected,) = controller.spool.rejected_dir.iterdir()
    assert rejected.name.endswith("-event.json")
    assert hub.latest_report(CUSTOMER) is not None


def test_container_events_reach_the_hub_once_per_transition_across_restarts(
    hub: Hub, podman: Podman, tmp_path: Path
) -> None:
    key = hub.create_customer(CUSTOMER)
    engine = {"enabled": True, "socket": str(podman.socket)}
    state = tmp_path / "state"
    podman.run("h-app")
    podman.run("h-sick", "--health-cmd", "false", "--health-retries", "1")
    controller_for(hub, state, key, engine=engine).run_once(datetime.now(UTC))
    podman.podman("stop", "--time", "0", "h-app")
    podman.healthcheck("h-sick")
    controller_for(hub, state, key, engine=engine).run_once(datetime.now(UTC))
    controller_for(hub, state, key, engine=engine).run_once(datetime.now(UTC))
    mine = [e for e in hub.events(CUSTOMER) if e["details"].get("container", "").startswith("h-")]
    assert sorted((e["event_type"], e["details"]["container"]) for e in mine) == [
        ("container_stopped", "h-app"),
        ("container_unhealthy", "h-sick"),
    ]
    stored = hub.latest_report(CUSTOMER)
    assert stored is not None and stored["health"] == "warn"
    assert any("h-sick is unhealthy" in reason for reason in stored["health_reasons"])


@pytest.mark.skipif(shutil.which("restic") is None, reason="restic not installed")
def test_a_backup_and_then_a_failed_one_reach_the_hub_as_events(hub: Hub, tmp_path: Path) -> None:
    key = hub.create_customer(CUSTOMER)
    repo = tmp_path / "repo"
    env = {**os.environ, "RESTIC_PASSWORD": "pw-0123456789", "RESTIC_REPOSITORY": str(repo)}

    def restic(*args: str) -> None:
        subprocess.run(["restic", "-q", *args], env=env, check=True, timeout=120)

    restic("init")
    backup: dict[str, object] = {
        "restic_password": "pw-0123456789",
        "restic_repositories": [{"name": "main", "repository": str(repo)}],
    }
    state = tmp_path / "state"
    controller_for(hub, state, key, backup=backup).run_once(datetime.now(UTC))
    restic("backup", str(Path(__file__).parent))
    controller_for(hub, state, key, backup=backup).run_once(datetime.now(UTC))
    shutil.rmtree(repo / "keys")  # the repository can no longer be opened
    controller_for(hub, state, key, backup=backup).run_once(datetime.now(UTC))
    assert [e["event_type"] for e in hub.events(CUSTOMER)] == ["backup_completed", "backup_failed"]
    stored = hub.latest_report(CUSTOMER)
    assert stored is not None and stored["backups"][0]["status"] == "failed"
    assert stored["health"] == "warn"
