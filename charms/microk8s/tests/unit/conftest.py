"""Shared fixtures: a fake subprocess edge for workload modules, a fake workload for the charm."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ops import testing

import fake_snapd
from charm import MicroK8sCharm
from fake_snapd import FakeSnapd, StoreSnap
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
def snapd(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSnapd]:
    """An emulated snapd on a Unix socket; charmlibs-snap is pointed at it."""
    fake = FakeSnapd(
        store={
            "microk8s": StoreSnap(
                channels={"latest/stable", "1.31/stable", "1.32/stable"},
                classic=True,
                services=("daemon-containerd", "daemon-kubelite"),
            )
        }
    )
    folder = Path(tempfile.mkdtemp(prefix="snapd", dir="/tmp"))  # short: AF_UNIX path limit
    socket_path = folder / "snapd.socket"
    server = fake_snapd.serve(fake, socket_path)
    # charmlibs-snap has no setting for the socket; its client module holds the path.
    monkeypatch.setattr("charmlibs.snap._client._SOCKET_PATH", str(socket_path))
    monkeypatch.setattr("microk8s.time.sleep", lambda _: None)
    yield fake
    server.shutdown()
    server.server_close()
    shutil.rmtree(folder, ignore_errors=True)


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
