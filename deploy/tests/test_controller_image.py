"""The felhom-controller image: `once` reaches the hub container and its report is stored."""

import secrets
import time

import httpx
import pytest

from deploy.images import Service
from deploy.podman import LABEL, READ_ONLY
from deploy.tests.conftest import HubContainer
from deploy.tests.test_hub_image import create_customer, latest_report

pytestmark = pytest.mark.slow


def controller_options(hub: HubContainer, key: str, state: str) -> list[str]:
    """The controller in the hub's network namespace (the hub at 127.0.0.1:8080), configured
    through FELHOM_CONTROLLER_* variables, its state on a volume, the root read-only."""
    settings = {
        "IDENTITY_CUSTOMER_ID": "acme",
        "IDENTITY_HOSTNAME": "node-in-a-container",
        "HUB_URL": "http://127.0.0.1:8080",
        "HUB_API_KEY": key,
        "ENGINE_ENABLED": "false",
        "SMART_ENABLED": "false",
    }
    options = ["--rm", *READ_ONLY, "--network", f"container:{hub.name}"]
    options += ["-v", f"{state}:/var/lib/felhom-controller"]
    for name, value in settings.items():
        options += ["-e", f"FELHOM_CONTROLLER_{name}={value}"]
    return options


def test_once_sends_a_report_that_the_hub_stores(
    hub: HubContainer, images: dict[Service, str]
) -> None:
    key = create_customer(hub, "acme")
    state = f"controller-state-{secrets.token_hex(4)}"
    hub.podman("volume", "create", "--label", LABEL, state)
    try:
        done = hub.podman.result(
            "run", *controller_options(hub, key, state), images[Service.CONTROLLER], "once"
        )
        assert done.returncode == 0, done.stderr
        stored = latest_report(hub, "acme", key)
        assert stored is not None
        assert stored["hostname"] == "node-in-a-container"
        assert stored["controller_version"] == "0.1.0"
    finally:
        hub.podman("volume", "rm", "--force", state, check=False)


def test_a_wrong_key_fails_once_and_the_hub_stores_nothing(
    hub: HubContainer, images: dict[Service, str]
) -> None:
    key = create_customer(hub, "acme")
    state = f"controller-state-{secrets.token_hex(4)}"
    hub.podman("volume", "create", "--label", LABEL, state)
    try:
        options = controller_options(hub, "not-the-key-" + "0123456789", state)
        done = hub.podman.result("run", *options, images[Service.CONTROLLER], "once")
        assert done.returncode == 1
        assert "not-the-key" not in done.stdout + done.stderr  # no secret in any output
        assert latest_report(hub, "acme", key) is None
        assert httpx.get(f"{hub.url}/healthz", timeout=5).status_code == 200
    finally:
        hub.podman("volume", "rm", "--force", state, check=False)


def test_run_mode_answers_its_healthcheck(hub: HubContainer, images: dict[Service, str]) -> None:
    key = create_customer(hub, "acme")
    state = f"controller-state-{secrets.token_hex(4)}"
    hub.podman("volume", "create", "--label", LABEL, state)
    name = f"controller-{secrets.token_hex(4)}"
    options = [o for o in controller_options(hub, key, state) if o != "--rm"]
    try:
        hub.podman.run_detached(name, *options, image=images[Service.CONTROLLER])
        deadline = time.monotonic() + 60
        while hub.podman.result("healthcheck", "run", name).returncode != 0:
            assert time.monotonic() < deadline, hub.podman.logs(name)
            time.sleep(0.5)
        # `run` reports at once, but its health endpoint may answer before that report lands
        while latest_report(hub, "acme", key) is None:
            assert time.monotonic() < deadline + 30, hub.podman.logs(name)
            time.sleep(0.5)
    finally:
        hub.podman.remove(name)
        hub.podman("volume", "rm", "--force", state, check=False)
