"""A podman of our own for the image tests and benchmarks: its own storage under one folder.

The storage (overlay) stays between runs under the cache folder, so the base and unchanged
layers are reused; nothing touches the machine's own podman images or containers. Containers
run with runc and cgroupfs and explicit ulimits (crun fails on this kind of host; see
shared/reference/containers-and-peers.md).
"""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from deploy.base import cache_dir

CONTAINERS_CONF = """\
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
"""
READ_ONLY = ("--read-only", "--read-only-tmpfs=false", "--tmpfs", "/tmp:rw,size=64m")
"""A read-only root with only /tmp writable, as the Kubernetes manifests run them (podman's
--read-only alone would also mount tmpfs on /run and /var/tmp)."""
LABEL = "dev.metalfleet.test=images"
"""Every container and volume made here carries it, so leftovers can be found and removed."""


def available() -> str | None:
    """Why the image tests cannot run here, or None when they can."""
    for tool, package in (("podman", "podman"), ("runc", "runc"), ("mmdebstrap", "mmdebstrap")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian package '{package}')"
    return None


class PodmanError(RuntimeError):
    """A podman command failed; the message carries its stderr."""


class Podman:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_dir() / "podman"
        self.conf = self.root / "containers.conf"

    @property
    def prefix(self) -> list[str]:
        """The command line before the podman subcommand."""
        return [
            "podman",
            "--root",
            str(self.root / "storage"),
            "--runroot",
            str(self.root / "run"),
            "--storage-driver",
            "overlay",
        ]

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CONTAINERS_CONF": str(self.conf)}

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(CONTAINERS_CONF)

    def result(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            check=False,
        )

    def __call__(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        done = self.result(*args, timeout=timeout)
        if check and done.returncode != 0:
            raise PodmanError(f"podman {' '.join(args)}: {done.stderr.strip()[-3000:]}")
        return done.stdout.strip()

    def run_detached(self, name: str, *options: str, image: str, args: Sequence[str] = ()) -> None:
        self("run", "-d", "--name", name, "--label", LABEL, *options, image, *args)

    def remove(self, *names: str) -> None:
        if names:
            self("rm", "--force", "--volumes", "--time", "5", *names, check=False)

    def cleanup(self) -> None:
        """Remove every container this helper made (also those of a killed run) and every
        volume no container uses."""
        self.remove(*self("ps", "--all", "--quiet", "--filter", f"label={LABEL}").split())
        self("volume", "prune", "--force", check=False)  # this storage is ours alone

    def logs(self, name: str) -> str:
        done = self.result("logs", name, timeout=30)
        return (done.stdout + done.stderr)[-4000:]

    def pid(self, name: str) -> int:
        return int(self("inspect", "--format", "{{.State.Pid}}", name))


@contextmanager
def engine_service(podman: Podman, socket: Path, timeout: float = 30.0) -> Iterator[Path]:
    """podman's Docker-compatible Engine API on ``socket`` for the life of the block."""
    command = [*podman.prefix, "system", "service", "--time=0", f"unix://{socket}"]
    process = subprocess.Popen(
        command, env=podman.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        transport = httpx.HTTPTransport(uds=str(socket))
        with httpx.Client(transport=transport, timeout=2) as client:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if client.get("http://d/v1.41/version").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"podman system service did not answer on {socket}")
                time.sleep(0.1)
        yield socket
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def wait_http(url: str, timeout: float = 60.0) -> httpx.Response:
    """The first answer of ``url`` (any status), polling until ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError as exc:
            last = exc
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s ({last})")
