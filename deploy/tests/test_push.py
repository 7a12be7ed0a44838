"""Pushing the built images to a real registry (Debian's docker-registry on loopback): the
pushed manifest keeps the HEALTHCHECK, the user and the labels."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.images import Coordinates, Engine, Service, push_command
from deploy.podman import Podman
from felhom_controller.testing.registry import Registry
from felhom_controller.testing.registry import available as registry_missing

pytestmark = pytest.mark.slow

MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reason = registry_missing()
    if reason and os.environ.get("METALFLEET_REQUIRE_PODMAN"):
        pytest.fail(f"METALFLEET_REQUIRE_PODMAN is set but {reason}")
    if reason:
        pytest.skip(reason)
    running = Registry(tmp_path / "registry")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def pushed_config(registry: Registry, name: str, tag: str) -> dict[str, object]:
    base = f"{registry.url}/v2/{name}"
    manifest = httpx.get(f"{base}/manifests/{tag}", headers={"Accept": MANIFEST}, timeout=10)
    assert manifest.status_code == 200, manifest.text
    digest = manifest.json()["config"]["digest"]
    blob = httpx.get(f"{base}/blobs/{digest}", timeout=10, follow_redirects=True)
    config: dict[str, object] = blob.json()["config"]
    return config


def test_the_images_push_with_their_healthcheck(
    podman: Podman, images: dict[Service, str], registry: Registry
) -> None:
    where = Coordinates(f"{registry.address}/metalfleet", "v0.0.1-test")
    for service, local in images.items():
        ref = where.ref(service)
        podman("tag", local, ref)
        command = push_command(Engine.PODMAN, ref, tls_verify=False, prefix=podman.prefix)
        podman(*command[len(podman.prefix) :], timeout=300)
        podman("rmi", ref)
        name = f"metalfleet/{service.value}"
        tags = httpx.get(f"{registry.url}/v2/{name}/tags/list", timeout=10).json()
        assert tags == {"name": name, "tags": ["v0.0.1-test"]}
        config = pushed_config(registry, name, "v0.0.1-test")
        assert config["User"] == "65532:65532"
        assert json.dumps(config["Healthcheck"]).startswith('{"Test": ["CMD"')
        labels = config["Labels"]
        assert isinstance(labels, dict)
        assert labels["org.opencontainers.image.title"] == service.value
