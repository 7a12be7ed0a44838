"""deploy/felhom-controller/compose.yaml, run with podman-compose against our podman: the
controller starts read-only as a user, answers its healthcheck, and reads the Engine API
through the mounted socket (it lists its own container)."""

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.images import Service
from deploy.pins import CONTROLLER_COMPOSE
from deploy.podman import Podman, engine_service
from deploy.tests.conftest import free_port

pytestmark = pytest.mark.slow

CONTAINER = "felhom-controller"  # the compose file's container_name


def compose(podman: Podman, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = ["podman-compose", "--podman-args", " ".join(podman.prefix[1:])]
    command += ["--project-name", env["PROJECT"], "-f", str(CONTROLLER_COMPOSE), *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={**podman.env, **env}, check=False
    )


@pytest.fixture
def compose_env(
    podman: Podman, images: dict[Service, str], tmp_path: Path
) -> Iterator[dict[str, str]]:
    config = tmp_path / "controller.yaml"
    config.write_text(
        "identity: {customer_id: acme, hostname: compose-node}\n"
        "hub: {url: 'http://127.0.0.1:9', api_key: 'k-0123456789abcdef'}\n"
        "smart: {enabled: false}\n"
    )
    config.chmod(0o644)
    socket = Path(f"/tmp/metalfleet-engine-{secrets.token_hex(4)}.sock")  # short: AF_UNIX limit
    with engine_service(podman, socket) as sock:
        sock.chmod(0o660)  # as podman.socket's SocketMode (a bare `system service` makes 0600)
        env = {
            "PROJECT": f"felhom-test-{secrets.token_hex(3)}",
            "FELHOM_CONTROLLER_IMAGE": images[Service.CONTROLLER],
            "FELHOM_CONTROLLER_CONFIG_FILE": str(config),
            "FELHOM_CONTROLLER_API_PORT": f"127.0.0.1:{free_port()}",
            "ENGINE_SOCKET": str(sock),
            "ENGINE_SOCKET_GID": str(os.stat(sock).st_gid),
        }
        try:
            yield env
        finally:
            compose(podman, env, "down", "--volumes")
            sock.unlink(missing_ok=True)


def test_the_compose_file_runs_the_controller_with_the_engine_socket(
    podman: Podman, compose_env: dict[str, str]
) -> None:
    started = compose(podman, compose_env, "up", "-d")
    assert started.returncode == 0, started.stdout + started.stderr
    url = f"http://{compose_env['FELHOM_CONTROLLER_API_PORT']}/healthz"
    deadline = time.monotonic() + 60
    while podman.result("healthcheck", "run", CONTAINER).returncode != 0:
        assert time.monotonic() < deadline, podman.logs(CONTAINER)
        time.sleep(0.5)
    assert httpx.get(url, timeout=5).json()["status"] == "ok"
    assert podman("inspect", "--format", "{{.Config.User}}", CONTAINER) == "65532:65532"
    printed = podman("exec", CONTAINER, "felhom-controller", "once", "--print")
    report = json.loads(printed)["report"]
    assert report["hostname"] == "compose-node"
    names = [c["name"] for c in report["containers"]]
    assert CONTAINER in names, json.dumps({k: v for k, v in report.items() if k != "storage"})
