"""Upgrades and scaling on a real Juju model (skipped where Juju is not available).

The starting point is PREVIOUS_CHARM_PATH (a charm packed from the previous release)
when set, else the charm under test itself, so that a refresh onto itself is checked.
"""

from __future__ import annotations

import json
import os

import jubilant
import pytest
import yaml

from tests.integration.conftest import PROJECT, charm_path, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

APP = "beszel-upgrade"
STANDBY = "standby: one hub per application runs on the leader; remove this unit"


def _image() -> str:
    meta = yaml.safe_load((PROJECT / "charmcraft.yaml").read_text())
    return str(meta["resources"]["beszel-image"]["upstream-source"])


def _backups(juju: jubilant.Juju) -> list[str]:
    listing = json.loads(juju.run(f"{APP}/leader", "list-backups").results["backups"])
    return [str(b["key"]) for b in listing]


def test_refresh_keeps_data_and_credentials(juju: jubilant.Juju) -> None:
    previous = os.environ.get("PREVIOUS_CHARM_PATH") or str(charm_path())
    juju.deploy(previous, APP, resources={"beszel-image": _image()}, storage={"beszel-data": "1G"})
    juju.wait(jubilant.all_active)
    backup = juju.run(f"{APP}/leader", "backup-now").results["backup-name"]
    before = juju.run(f"{APP}/leader", "get-admin-url").results
    juju.refresh(APP, path=str(charm_path()), resources={"beszel-image": _image()})
    juju.wait(lambda status: jubilant.all_active(status, APP))
    after = juju.run(f"{APP}/leader", "get-admin-url").results
    assert after["credentials-secret-id"] == before["credentials-secret-id"]
    assert backup in _backups(juju)  # same storage, same database
    assert "user-secret-id" in after


def test_second_unit_stands_by(juju: jubilant.Juju) -> None:
    juju.cli("scale-application", APP, "2")  # add-unit is not for Kubernetes models
    juju.wait(lambda status: len(status.apps[APP].units) == 2 and jubilant.all_agents_idle(status))
    messages = sorted(u.workload_status.message for u in juju.status().apps[APP].units.values())
    assert messages == sorted(["Beszel Hub is ready", STANDBY])
    juju.cli("scale-application", APP, "1")
    juju.wait(lambda status: len(status.apps[APP].units) == 1 and jubilant.all_active(status))
