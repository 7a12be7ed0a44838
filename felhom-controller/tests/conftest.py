"""Fixtures: a settings builder on a temporary state directory; the real hub; podman."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from felhom_controller.config import Settings
from felhom_controller.testing.podman import Podman, available
from tests.peers.hub import Hub, prepare_hub

CUSTOMER = "acme"


def make_settings(state_dir: Path, **sections: dict[str, Any]) -> Settings:
    """Settings for tests: no engine unless given, fast retries, this machine's storage."""
    data: dict[str, Any] = {
        "identity": {"customer_id": CUSTOMER, "hostname": "node-1"},
        "engine": {"enabled": False},
        "spool": {"retry_initial_seconds": 0.1, "retry_max_seconds": 1},
        "hub": {"timeout_seconds": 5},
        "state_dir": str(state_dir),
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return Settings.model_validate(data)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    """A running hub (stopped at the end); ``hub.api_key`` is acme's per-customer key."""
    running = prepare_hub(tmp_path / "hub")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    reason = available()
    if reason and os.environ.get("METALFLEET_REQUIRE_PODMAN"):
        pytest.fail(f"METALFLEET_REQUIRE_PODMAN is set but {reason}")
    if reason:
        pytest.skip(reason)
    service = Podman(tmp_path_factory.mktemp("podman"))
    service.start()
    try:
        yield service
    finally:
        service.stop()
