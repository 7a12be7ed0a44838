"""`felhom-controller run` as a process against the real hub: it starts, reports on its
interval, takes a config apply without a restart, and stops cleanly on SIGTERM."""

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import CUSTOMER
from tests.peers.hub import Hub, free_port, prepare_hub

pytestmark = pytest.mark.slow


def wait_until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def config(tmp_path: Path, hub: Hub, key: str, port: int, interval: int) -> str:
    return (
        f"identity: {{customer_id: {CUSTOMER}, hostname: node-1}}\n"
        f"hub: {{url: '{hub.url}', api_key: '{key}'}}\n"
        f"report: {{interval_seconds: {interval}, jitter_percent: 0}}\n"
        f"engine: {{enabled: false}}\nsmart: {{enabled: false}}\n"
        f"api: {{listen: '127.0.0.1:{port}', public_url: 'http://127.0.0.1:{port}'}}\n"
        f"state_dir: '{tmp_path / 'state'}'\n"
    )


def test_run_reports_applies_config_live_and_stops_on_sigterm(hub: Hub, tmp_path: Path) -> None:
    key = hub.create_customer(CUSTOMER)
    port = free_port()
    path = tmp_path / "controller.yaml"
    path.write_text(config(tmp_path, hub, key, port, interval=3600))
    log = (tmp_path / "controller.log").open("wb")
    command = [sys.executable, "-m", "felhom_controller.cli", "--config", str(path), "run"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: len(hub.history(CUSTOMER)) == 1)
        assert [e["event_type"] for e in hub.events(CUSTOMER)] == ["controller_started"]
        stored = hub.latest_report(CUSTOMER)
        assert stored is not None and stored["controller_url"] == f"http://127.0.0.1:{port}"
        # The hub pushes a shorter interval; the next report comes without a restart.
        faster = config(tmp_path, hub, key, port, interval=5)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/api/config/apply",
            content=faster,
            headers={"Authorization": f"Bearer {key}"},
        )
        assert answer.status_code == 200
        wait_until(lambda: len(hub.history(CUSTOMER)) >= 2, timeout=90)
        types = [e["event_type"] for e in hub.events(CUSTOMER)]
        assert types[:2] == ["controller_started", "config_applied"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert key not in (tmp_path / "controller.log").read_text()


def test_reports_queued_before_a_sigkill_reach_the_hub_after_a_restart(tmp_path: Path) -> None:
    hub = prepare_hub(tmp_path / "hub")
    key = hub.create_customer(CUSTOMER)  # the hub exists but is not running yet
    path = tmp_path / "controller.yaml"
    path.write_text(config(tmp_path, hub, key, free_port(), interval=5))
    command = [sys.executable, "-m", "felhom_controller.cli", "--config", str(path), "run"]
    spool = tmp_path / "state" / "spool"
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: len(list(spool.glob("*-report.json"))) >= 2, timeout=60)
    finally:
        first.kill()
        first.wait(timeout=30)
    queued = len(list(spool.glob("*-report.json")))
    hub.start()
    second = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: len(hub.history(CUSTOMER)) >= queued + 1, timeout=60)
        started = [e for e in hub.events(CUSTOMER) if e["event_type"] == "controller_started"]
        assert len(started) == 2  # one per process, the first one sent late
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
        hub.stop()
