"""Shared fixtures: a fake subprocess edge for workload modules, a fake workload for the charm."""

from __future__ import annotations

from collections.abc import Iterator

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
def containerd(monkeypatch: pytest.MonkeyPatch, workload: FakeMicroK8s) -> FakeContainerd:
    """Inject a fake ``containerd`` module that records into the fake microk8s journal."""
    fake = FakeContainerd(calls=workload.calls)
    monkeypatch.setattr("charm.containerd", fake)
    return fake


@pytest.fixture
def ctx(workload: FakeMicroK8s, containerd: FakeContainerd) -> testing.Context[MicroK8sCharm]:
    """A context for the charm, with both workload modules faked."""
    return testing.Context(MicroK8sCharm)
