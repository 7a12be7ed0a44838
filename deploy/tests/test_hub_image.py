"""The felhom-hub image, run: health, a stored report, the data surviving a new container."""

import re

import httpx
import pytest

from deploy.tests.conftest import HubContainer

pytestmark = pytest.mark.slow

REPORT = {
    "customer_id": "acme",
    "hostname": "node-in-a-test",
    "controller_version": "0.1.0",
    "health": "ok",
    "system": {"memory_total_bytes": 8 << 30, "memory_used_bytes": 3 << 30},
}


def create_customer(hub: HubContainer, customer_id: str) -> str:
    """The new customer's API key, from the image's own ``felhom-hub customer create``."""
    printed = hub.cli("customer", "create", customer_id)
    match = re.search(r"api key:\s+(\S+)", printed)
    assert match, printed
    return match.group(1)


def latest_report(hub: HubContainer, customer_id: str, key: str) -> dict[str, object] | None:
    answer = httpx.get(
        f"{hub.url}/api/v1/customers/{customer_id}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    if answer.status_code == 404 and "no report" in answer.text:
        return None
    assert answer.status_code == 200, answer.text
    report: dict[str, object] | None = answer.json()["report"]
    return report


def test_healthz_and_the_images_healthcheck_pass(hub: HubContainer) -> None:
    answer = httpx.get(f"{hub.url}/healthz", timeout=5)
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    # podman runs HEALTHCHECK from systemd timers, absent here: run it once on demand
    hub.podman("healthcheck", "run", hub.name)
    assert hub.podman("inspect", "--format", "{{.Config.User}}", hub.name) == "65532:65532"


def test_a_posted_report_is_stored_and_survives_a_new_container(hub: HubContainer) -> None:
    key = create_customer(hub, "acme")  # the CLI in a second container, same volume
    answer = httpx.post(
        f"{hub.url}/api/v1/report",
        json=REPORT,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert answer.status_code in (200, 201, 202), answer.text
    stored = latest_report(hub, "acme", key)
    assert stored is not None and stored["hostname"] == "node-in-a-test"

    hub.stop()  # the container goes; the volume stays
    hub.start()
    stored = latest_report(hub, "acme", key)
    assert stored is not None and stored["hostname"] == "node-in-a-test"


def test_the_root_filesystem_is_read_only_and_data_goes_to_the_volume(hub: HubContainer) -> None:
    probe = "import pathlib,sys; p=pathlib.Path(sys.argv[1]); p.write_text('x'); print(p)"
    refused = hub.podman.result("exec", hub.name, "python3", "-c", probe, "/opt/venv/x")
    assert refused.returncode != 0 and "Read-only file system" in refused.stderr
    assert hub.podman("exec", hub.name, "python3", "-c", probe, "/data/probe") == "/data/probe"
    listing = hub.podman("exec", hub.name, "ls", "/data")
    assert {"hub.db", "session.key"} <= set(listing.split())


def test_a_bad_setting_stops_the_hub_with_an_error_naming_it(hub: HubContainer) -> None:
    done = hub.podman.result("run", "--rm", "-e", "FELHOM_HUB_SERVER_LISTEN=nonsense", hub.image)
    assert done.returncode != 0
    assert "FELHOM_HUB_SERVER_LISTEN" in done.stderr


def test_the_hub_has_its_fallback_controller_template(hub: HubContainer) -> None:
    probe = (
        "from felhom_hub.configs.template import check_template, package_example;"
        "text = package_example(); check_template(text); print(len(text))"
    )
    assert int(hub.podman("exec", hub.name, "python3", "-c", probe)) > 1000
