"""Shared fixtures: a fake subprocess edge for workload modules, a fake workload for the charm."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ops import testing

from charm import MicroK8sCharm
from fake_workload import FakeContainerd, FakeMicroK8s
from runner import FakeRunner


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    """Replace ``subprocess.run`` (and retry sleeps) for the workload modules."""
    fake = FakeRunner()
    monkeypatch.setattr("util.subprocess.run", fake)
    monkeypatch.setattr("util.time.sleep", lambda _: None)
    return fake


@pytest.fixture
def workload(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMicroK8s]:
    """Inject a fake ``microk8s`` module into the charm."""
    fake = FakeMicroK8s()
    monkeypatch.setattr("charm.microk8s", fake)
    yield fake


@pytest.fixture
def containerd(monkeypatch: pytest.MonkeyPatch) -> FakeContainerd:
    """Inject a fake ``containerd`` module into the charm."""
    fake = FakeContainerd()
    monkeypatch.setattr("charm.containerd", fake)
    return fake


@pytest.fixture
def ctx(workload: FakeMicroK8s, containerd: FakeContainerd) -> testing.Context[MicroK8sCharm]:
    """A context for the charm, with both workload modules faked."""
    return testing.Context(MicroK8sCharm)


def stored(**content: Any) -> testing.StoredState:
    """The charm's stored state, defaults overridden by ``content``."""
    defaults: dict[str, Any] = {
        "role": "control-plane",
        "installed": True,
        "joined": True,
        "hostnames": {},
        "channel": "",
        "refresh_pending": False,
        "addons": {},
    }
    return testing.StoredState("_stored", owner_path="MicroK8sCharm", content=defaults | content)


def stored_content(state: testing.State) -> dict[str, Any]:
    """Return the charm's stored state content from an output state."""
    (found,) = [s for s in state.stored_states if s.name == "_stored" and s.owner_path]
    return dict(found.content)


def network(address: str) -> testing.Network:
    """The peer binding with ``address`` as this unit's ingress address."""
    bind = testing.BindAddress([testing.Address(address)])
    return testing.Network("peer", [bind], ingress_addresses=[address])


def app_data(state: testing.State, relation: testing.RelationBase) -> dict[str, str]:
    """Return this app's databag of ``relation`` in an output state."""
    return dict(state.get_relation(relation.id).local_app_data or {})


def unit_data(state: testing.State, relation: testing.RelationBase) -> dict[str, str]:
    """Return this unit's databag of ``relation`` in an output state."""
    return dict(state.get_relation(relation.id).local_unit_data or {})
