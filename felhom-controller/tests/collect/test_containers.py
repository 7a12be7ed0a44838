"""Containers through podman's real Engine API: states, health, restarts, apps, and faults."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from felhom_controller.collect.containers import (
    EngineClient,
    EngineError,
    collect_apps,
    collect_containers,
    summarize,
)
from felhom_controller.testing.podman import IMAGE, Podman


def by_name(podman: Podman) -> dict[str, dict[str, Any]]:
    with EngineClient(podman.socket, timeout=10) as engine:
        return {c["name"]: c for c in collect_containers(engine)}


def wait_for(podman: Podman, name: str, key: str, value: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if by_name(podman).get(name, {}).get(key) == value:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name}.{key} never became {value!r}: {by_name(podman).get(name)}")


def test_it_reports_running_and_stopped_containers_with_their_image(podman: Podman) -> None:
    podman.run("c-web", "--label", "com.docker.compose.project=shop")
    podman.run("c-db", "--label", "com.docker.compose.project=shop")
    podman.run("c-wiki", "--label", "eu.felhom.app=wiki")
    podman.podman("stop", "--time", "0", "c-db")
    found = by_name(podman)
    assert found["c-web"]["state"] == "running"
    assert found["c-web"]["image"] == IMAGE
    assert found["c-web"]["health"] == "none"
    assert found["c-db"]["state"] == "exited"
    assert found["c-web"]["project"] == "shop"
    apps = {a["name"]: a["status"] for a in collect_apps(list(found.values()))}
    assert (apps["shop"], apps["wiki"]) == ("degraded", "running")


def test_it_sees_a_failing_healthcheck_turn_the_container_unhealthy(podman: Podman) -> None:
    options = ("--health-cmd", "false", "--health-retries", "1", "--health-interval", "1h")
    podman.run("c-sick", *options)
    assert by_name(podman)["c-sick"]["health"] == "starting"
    podman.healthcheck("c-sick")
    assert by_name(podman)["c-sick"]["health"] == "unhealthy"


def test_it_counts_the_restarts_of_a_crashing_container(podman: Podman) -> None:
    podman.run("c-crash", "--restart", "on-failure:3", command=("sh", "-c", "sleep 0.3; exit 3"))
    wait_for(podman, "c-crash", "restart_count", 3)


def test_a_missing_socket_is_an_engine_error(tmp_path: Path) -> None:
    with EngineClient(tmp_path / "nothing.sock", timeout=1) as engine, pytest.raises(EngineError):
        collect_containers(engine)


@pytest.fixture
def silent_socket(tmp_path: Path) -> Iterator[Path]:
    """A unix socket that accepts connections and never answers (a hung engine)."""
    path = tmp_path / "hung.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(8)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield path
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_engine_times_out_within_the_configured_timeout(silent_socket: Path) -> None:
    started = time.monotonic()
    engine = EngineClient(silent_socket, timeout=0.5)
    with engine, pytest.raises(EngineError, match="timed out"):
        collect_containers(engine)
    assert time.monotonic() - started < 5


def test_podman_states_map_onto_the_hubs_vocabulary() -> None:
    listed = {"Id": "abc", "Names": ["/x"], "Image": "i", "State": "configured"}
    assert summarize(listed, None)["state"] == "created"
    assert summarize({**listed, "State": "stopped"}, None)["state"] == "exited"
    inspected = {"State": {"Status": "running", "Health": {"Status": "healthy"}}, "RestartCount": 2}
    entry = summarize(listed, inspected)
    assert (entry["state"], entry["health"], entry["restart_count"]) == ("running", "healthy", 2)
