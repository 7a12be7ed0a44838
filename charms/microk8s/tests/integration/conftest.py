"""Fixtures for integration tests against a real Juju controller with a machine cloud.

Run with a bootstrapped controller (e.g. LXD) and a packed charm:

    charmcraft pack
    CHARM_PATH=$PWD/microk8s_ubuntu@24.04-amd64.charm make integration

Without a ``juju`` binary, or without a packed charm, every test here is skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import jubilant
import pytest

CHARM_DIR = Path(__file__).parents[2]


def _charm_path() -> Path | None:
    """Return the packed charm from CHARM_PATH, or the only *.charm in the charm folder."""
    if env := os.environ.get("CHARM_PATH"):
        return Path(env).resolve()
    found = sorted(CHARM_DIR.glob("*.charm"))
    return found[0].resolve() if len(found) == 1 else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the integration tests, with the reason, when they cannot run here."""
    reason = ""
    if shutil.which("juju") is None:
        reason = "juju is not installed: integration tests need a Juju controller (see README)"
    elif _charm_path() is None:
        reason = "no packed charm: run `charmcraft pack` or set CHARM_PATH (see README)"
    if reason:
        for item in items:
            if "integration" in item.nodeid:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def juju() -> Iterator[jubilant.Juju]:
    """A temporary model, destroyed after the module (kept with KEEP_MODELS=1)."""
    with jubilant.temp_model(keep=bool(os.environ.get("KEEP_MODELS"))) as juju:
        juju.wait_timeout = 45 * 60
        yield juju


@pytest.fixture(scope="module")
def charm() -> Path:
    """The packed charm under test."""
    path = _charm_path()
    assert path is not None
    return path
