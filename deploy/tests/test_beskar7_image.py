"""The beskar7 manager image: it starts on its embedded store and answers its probes on :8081."""

import secrets
import time

import httpx
import pytest
from ruamel.yaml import YAML

from deploy import pins
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


def deployment_command() -> list[str]:
    """The manager container's command and args from config/manager/manager.yaml, with the
    variables that clusterctl and the kubelet fill in filled in."""
    (deployment,) = [
        d for d in YAML(typ="safe").load_all(pins.BESKAR7_MANAGER.read_text()) if d is not None
    ]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    values = {
        "$(POD_NAMESPACE)": "beskar7-system",
        "${BESKAR7_BOOTSTRAP_URL_BASE}": "http://127.0.0.1:8082",
    }
    command: list[str] = [*container["command"], *container["args"]]
    for variable, value in values.items():
        command = [part.replace(variable, value) for part in command]
    return command


@pytest.mark.parametrize("how", ["default command", "the Deployment's command"])
def test_the_manager_starts_on_its_embedded_store_and_answers_probes(
    how: str, podman: Podman, images: dict[Service, str]
) -> None:
    command = deployment_command() if how != "default command" else []
    entrypoint = ["--entrypoint", command[0]] if command else []
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
            *entrypoint,
            image=images[Service.BESKAR7],
            args=command[1:],
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
