"""`beskar7 manager` as a real process on the embedded store, fed by `beskar7 apply` from
another process, against the sushy-tools emulator: enrollment, Secret watch, probes, metrics,
and carrying on after being killed."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from beskar7_testing.emulator import SushyEmulator, free_port
from tests.fixtures.redfish import BMC_PASSWORD, BMC_USERNAME

pytestmark = pytest.mark.slow


def beskar7(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "beskar7.cli", *args, "--store", str(store)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def hosts_manifest(emulator: SushyEmulator, indexes: range, secret: str = "bmc") -> str:
    return "".join(
        "---\napiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: PhysicalHost\n"
        f"metadata: {{name: host-{i}, namespace: default}}\n"
        f"spec: {{redfishConnection: {{address: '{emulator.system_address(i)}', "
        f"credentialsSecretRef: {secret}}}}}\n"
        for i in indexes
    )


SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata: {name: bmc, namespace: default}\n"
    f"stringData: {{username: {BMC_USERNAME}, password: {BMC_PASSWORD}}}\n"
)


def states(store: Path) -> dict[str, str]:
    rows = beskar7(store, "get", "ph").stdout.splitlines()[1:]
    return {r.split()[0]: (r.split()[1] if len(r.split()) > 2 else "") for r in rows}


def wait_for(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}")


class ManagerProcess:
    def __init__(self, store: Path, log: Path) -> None:
        self.probe_port, self.metrics_port = free_port(), free_port()
        command = [
            sys.executable, "-m", "beskar7.cli", "manager", "--store", str(store),
            f"--health-probe-bind-address=127.0.0.1:{self.probe_port}",
            f"--metrics-bind-address=127.0.0.1:{self.metrics_port}",
            "--redfish-timeout=5s",
            "--inspection-bind-address=127.0.0.1", f"--inspection-port={free_port()}",
        ]  # fmt: skip
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(command, stdout=self._out, stderr=subprocess.STDOUT)

    def get(self, port: int, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, ""
        except OSError:
            return 0, ""

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        code = self.proc.wait(timeout=40)
        self._out.close()
        return code


@pytest.fixture
def emulator(sushy_emulator_factory: Callable[..., SushyEmulator]) -> SushyEmulator:
    return sushy_emulator_factory(systems=6)


@pytest.fixture
def manager_factory(tmp_path: Path) -> Iterator[Callable[[Path], ManagerProcess]]:
    started: list[ManagerProcess] = []

    def start(store: Path) -> ManagerProcess:
        started.append(ManagerProcess(store, tmp_path / f"manager-{len(started)}.log"))
        return started[-1]

    yield start
    for manager in started:
        if manager.proc.poll() is None:
            manager.stop(signal.SIGKILL)


def test_a_running_manager_enrolls_hosts_applied_from_another_process(
    tmp_path: Path, emulator: SushyEmulator, manager_factory: Callable[[Path], ManagerProcess]
) -> None:
    store = tmp_path / "b7.db"
    manager = manager_factory(store)
    wait_for(lambda: manager.get(manager.probe_port, "/readyz")[0] == 200, 20, "readiness")
    assert manager.get(manager.probe_port, "/healthz")[0] == 200

    manifest = tmp_path / "hosts.yaml"
    manifest.write_text(SECRET + hosts_manifest(emulator, range(3)))
    assert beskar7(store, "apply", "-f", str(manifest)).returncode == 0

    wait_for(
        lambda: set(states(store).values()) == {"Available"}, 60, "hosts Available", manager.log
    )
    metrics = manager.get(manager.metrics_port, "/metrics")[1]
    assert 'beskar7_controller_reconciliation_total{controller="physicalhost"' in metrics
    assert (
        'beskar7_controller_physicalhost_states_total{namespace="default",state="Available"} 3.0'
        in metrics
    )
    assert manager.stop() == 0


def test_a_secret_created_later_recovers_the_host_without_waiting_for_backoff(
    tmp_path: Path, emulator: SushyEmulator, manager_factory: Callable[[Path], ManagerProcess]
) -> None:
    store = tmp_path / "b7.db"
    manager_factory(store)
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(hosts_manifest(emulator, range(1)))
    beskar7(store, "apply", "-f", str(hosts))
    wait_for(lambda: states(store) == {"host-0": "Error"}, 30, "the host to be in Error")
    time.sleep(6)  # let the backoff grow past its first step

    secret = tmp_path / "secret.yaml"
    secret.write_text(SECRET)
    beskar7(store, "apply", "-f", str(secret))

    wait_for(lambda: states(store) == {"host-0": "Available"}, 8, "recovery after the Secret")


def test_a_killed_manager_carries_on_from_the_stored_state(
    tmp_path: Path, emulator: SushyEmulator, manager_factory: Callable[[Path], ManagerProcess]
) -> None:
    store = tmp_path / "b7.db"
    manifest = tmp_path / "hosts.yaml"
    manifest.write_text(SECRET + hosts_manifest(emulator, range(6)))
    beskar7(store, "apply", "-f", str(manifest))
    first = manager_factory(store)
    wait_for(lambda: "Available" in states(store).values(), 30, "a first host Available")
    first.stop(signal.SIGKILL)  # mid-enrollment: some hosts done, some not

    manager_factory(store)  # its predecessor's lease has to expire first (15 s)

    wait_for(lambda: set(states(store).values()) == {"Available"}, 60, "every host Available")
