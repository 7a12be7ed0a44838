"""The beskar7 manager image: it starts on its embedded store and answers its probes on :8081."""

import secrets
import time

import httpx
import pytest

from deploy.images import Service
from deploy.podman import LABEL, READ_ONLY, Podman, wait_http
from deploy.tests.conftest import free_port

pytestmark = pytest.mark.slow


def wait_ready(url: str, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    answer = wait_http(url, timeout)
    while answer.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.3)
        answer = httpx.get(url, timeout=2)
    return answer


def test_the_manager_starts_on_its_embedded_store_and_answers_probes(
    podman: Podman, images: dict[Service, str]
) -> None:
    name, volume, port = (
        f"beskar7-{secrets.token_hex(4)}",
        f"b7-{secrets.token_hex(4)}",
        free_port(),
    )
    podman("volume", "create", "--label", LABEL, volume)
    try:
        podman.run_detached(
            name,
            *READ_ONLY,
            "-p",
            f"127.0.0.1:{port}:8081",
            "-v",
            f"{volume}:/var/lib/beskar7",
            image=images[Service.BESKAR7],
        )
        ready = wait_ready(f"http://127.0.0.1:{port}/readyz")
        assert ready.status_code == 200, podman.logs(name)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        podman("healthcheck", "run", name)
        logs = podman.logs(name)
        assert "became leader" in logs and "starting 3 controllers" in logs
        # the store is a file on the volume, and the CLI in the image reads it
        assert "beskar7.db" in podman("exec", name, "ls", "/var/lib/beskar7/var")
        listed = podman.result("exec", name, "beskar7", "get", "physicalhosts", "-A")
        assert listed.returncode == 0, listed.stderr
    finally:
        podman.remove(name)
        podman("volume", "rm", "--force", volume, check=False)
