"""The command line: --version, check-config, once --print, once against the real hub."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from felhom_controller import __version__
from felhom_controller.cli import main
from tests.conftest import CUSTOMER
from tests.peers.hub import Hub


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "felhom_controller.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def config(tmp_path: Path, hub_url: str = "http://127.0.0.1:9", key: str = "") -> Path:
    path = tmp_path / "controller.yaml"
    path.write_text(
        f"identity: {{customer_id: {CUSTOMER}, hostname: node-1}}\n"
        f"hub: {{url: '{hub_url}', api_key: '{key}', timeout_seconds: 5}}\n"
        f"engine: {{enabled: false}}\nstate_dir: {tmp_path / 'state'}\n"
    )
    return path


def test_version() -> None:
    assert run("--version").stdout.strip() == f"felhom-controller {__version__}"


def test_check_config_accepts_a_good_file_and_names_a_bad_key(tmp_path: Path) -> None:
    good = config(tmp_path)
    assert main(["--config", str(good), "check-config"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("hub:\n  api_key: s3cr3t-value\n  uri: x\n")
    done = run("--config", str(bad), "check-config")
    assert done.returncode == 2
    assert "hub.uri: unknown key" in done.stderr
    assert "s3cr3t-value" not in done.stderr + done.stdout


def test_once_print_shows_the_report_and_sends_nothing(tmp_path: Path) -> None:
    done = run("--config", str(config(tmp_path)), "once", "--print")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["report"]["customer_id"] == CUSTOMER
    assert not (tmp_path / "state" / "spool").exists() or not list(
        (tmp_path / "state" / "spool").glob("*.json")
    )


@pytest.mark.slow
def test_once_pushes_to_the_hub_and_says_so(hub: Hub, tmp_path: Path) -> None:
    key = hub.create_customer(CUSTOMER)
    done = run("--config", str(config(tmp_path, hub.url, key)), "once")
    assert done.returncode == 0, done.stderr
    assert "sent 1, rejected 0, 0 queued" in done.stdout
    assert key not in done.stdout + done.stderr
    assert hub.latest_report(CUSTOMER) is not None


def test_once_with_the_hub_down_exits_1_and_keeps_the_report(tmp_path: Path) -> None:
    done = run("--config", str(config(tmp_path)), "once")
    assert done.returncode == 1
    assert "1 queued" in done.stdout
    assert len(list((tmp_path / "state" / "spool").glob("*-report.json"))) == 1
