"""Self-update in a container: the newest tag from a real registry, the container replaced
through podman's Engine API, and the outcome reported."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from felhom_controller import __version__
from felhom_controller.cycle import Controller
from felhom_controller.testing.podman import IMAGE, Podman
from felhom_controller.testing.podman import available as podman_missing
from felhom_controller.testing.registry import Registry
from felhom_controller.testing.registry import available as registry_missing
from felhom_controller.update import Updater, report_finished_update
from tests.conftest import make_settings

pytestmark = pytest.mark.slow
REPO = "admin/felhom-controller"
OLD, NEW = f"v{__version__}", "v99.0.0"


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Podman]]:
    reason = registry_missing() or podman_missing()
    if reason:
        pytest.skip(reason)
    registry = Registry(tmp_path_factory.mktemp("registry"), "gitea", "s3cret-token")
    registry.start()
    podman = Podman(tmp_path_factory.mktemp("podman-update"), (registry.address,))
    try:
        podman.start()
        for tag in (OLD, NEW):
            podman.push(IMAGE, f"{registry.address}/{REPO}:{tag}", creds="gitea:s3cret-token")
        podman.push(IMAGE, f"{registry.address}/admin/current:{OLD}", creds="gitea:s3cret-token")
        yield registry, podman
    finally:
        podman.stop()
        registry.stop()


def controller(tmp_path: Path, registry: Registry, podman: Podman, **update: str) -> Controller:
    settings = make_settings(
        tmp_path,
        engine={"enabled": True, "socket": str(podman.socket)},
        update={
            "container": "ctl",
            "registry_url": registry.url,
            "image": REPO,
            "username": "gitea",
            "token": "s3cret-token",
            "timeout_seconds": 120,
            **update,
        },
    )
    return Controller(settings)


def events(c: Controller) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(c.spool.directory.glob("*-event.json"))]


def run_update(c: Controller) -> None:
    updater = Updater(c)
    assert updater.start()[0] == 202
    assert updater.thread is not None
    updater.thread.join(timeout=180)


def test_the_container_is_replaced_by_the_newest_image(
    peers: tuple[Registry, Podman], tmp_path: Path
) -> None:
    registry, podman = peers
    old_image = f"{registry.address}/{REPO}:{OLD}"
    podman.podman(
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "ctl",
        "-e",
        "SITE=acme",
        "--label",
        "role=controller",
        old_image,
        "sleep",
        "600",
    )
    c = controller(tmp_path, registry, podman)
    run_update(c)
    assert events(c) == []
    inspected = json.loads(podman.podman("inspect", "ctl"))[0]
    assert inspected["ImageName"] == f"{registry.address}/{REPO}:{NEW}"
    assert inspected["State"]["Running"]
    assert "SITE=acme" in inspected["Config"]["Env"]
    assert inspected["Config"]["Labels"]["role"] == "controller"
    assert "ctl-old" not in podman.podman("ps", "-a", "--format", "{{.Names}}").split()
    assert events(c) == []  # the new controller reports it …
    report_finished_update(c)  # … as it starts
    (event,) = events(c)
    assert event["event_type"] == "controller_updated"
    assert event["details_json"] == {"from": __version__, "to": NEW}
    assert not (tmp_path / "pending-update.json").exists()


def test_nothing_happens_when_this_is_the_newest_version(
    peers: tuple[Registry, Podman], tmp_path: Path
) -> None:
    registry, podman = peers
    c = controller(tmp_path, registry, podman, image="admin/current", container="ctl-none")
    run_update(c)
    assert events(c) == []


def test_a_registry_failure_is_reported(peers: tuple[Registry, Podman], tmp_path: Path) -> None:
    registry, podman = peers
    run_update(c := controller(tmp_path, registry, podman, token="wrong"))
    (event,) = events(c)
    assert event["event_type"] == "controller_update_failed"
    assert "401" in event["message"] and "wrong" not in event["message"]
