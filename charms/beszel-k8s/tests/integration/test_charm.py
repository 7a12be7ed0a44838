"""End-to-end checks on a real Juju model (skipped where Juju is not available)."""

from __future__ import annotations

import json

import jubilant
import pytest
import yaml

from tests.integration.conftest import PROJECT, charm_path, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

APP = "beszel"


def _image() -> str:
    meta = yaml.safe_load((PROJECT / "charmcraft.yaml").read_text())
    return str(meta["resources"]["beszel-image"]["upstream-source"])


def test_deploy_becomes_active(juju: jubilant.Juju) -> None:
    juju.deploy(
        str(charm_path()),
        APP,
        resources={"beszel-image": _image()},
        storage={"beszel-data": "1G"},
    )
    juju.wait(jubilant.all_active)
    assert juju.status().apps[APP].units[f"{APP}/0"].workload_status.message == (
        "Beszel Hub is ready"
    )


def test_hub_is_served_on_pod_address(juju: jubilant.Juju) -> None:
    # `juju exec` runs in the charm container; reaching the pod IP proves --http=0.0.0.0.
    address = juju.status().apps[APP].units[f"{APP}/0"].address
    probe = (
        "import urllib.request, sys; "
        f"sys.exit(urllib.request.urlopen('http://{address}:8090/api/health').status != 200)"
    )
    result = juju.exec("python3", "-c", probe, unit=f"{APP}/0")
    assert result.return_code == 0


def test_get_admin_url_returns_service_url(juju: jubilant.Juju) -> None:
    task = juju.run(f"{APP}/0", "get-admin-url")
    assert task.results["admin-url"].endswith(":8090/_/")


def test_create_agent_token_is_registered(juju: jubilant.Juju) -> None:
    task = juju.run(f"{APP}/0", "create-agent-token", {"description": "itest"})
    assert len(task.results["token"]) == 32
    assert task.results["hub-key"].startswith("ssh-ed25519 ")


def test_backup_now_then_list(juju: jubilant.Juju) -> None:
    name = juju.run(f"{APP}/0", "backup-now").results["backup-name"]
    listing = json.loads(juju.run(f"{APP}/0", "list-backups").results["backups"])
    assert name in [b["key"] for b in listing]


def test_invalid_log_level_blocks_then_recovers(juju: jubilant.Juju) -> None:
    juju.config(APP, {"log-level": "loud"})
    juju.wait(jubilant.all_blocked)
    juju.config(APP, reset="log-level")
    juju.wait(jubilant.all_active)


def test_s3_enabled_without_relation_blocks(juju: jubilant.Juju) -> None:
    juju.config(APP, {"s3-backup-enabled": True})
    juju.wait(jubilant.all_blocked)
    juju.config(APP, reset="s3-backup-enabled")
    juju.wait(jubilant.all_active)
