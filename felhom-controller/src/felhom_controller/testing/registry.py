"""Debian's ``docker-registry`` (distribution 2.8) on a loopback port, optionally behind basic
auth (an htpasswd file made with ``htpasswd -B``), as a real Registry v2 peer."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx


def available() -> str | None:
    for tool, package in (("docker-registry", "docker-registry"), ("htpasswd", "apache2-utils")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian package '{package}')"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Registry:
    def __init__(self, root: Path, username: str = "", password: str = "") -> None:
        self.root = root
        self.port = _free_port()
        self.username = username
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def _config(self) -> Path:
        lines = [
            "version: 0.1",
            "log: {level: warn}",
            f"storage: {{filesystem: {{rootdirectory: {self.root / 'data'}}}}}",
            f"http: {{addr: {self.address}}}",
        ]
        if self.username:
            htpasswd = self.root / "htpasswd"
            done = subprocess.run(
                ["htpasswd", "-Bbn", self.username, self.password],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            )
            htpasswd.write_text(done.stdout)
            lines.append(f"auth: {{htpasswd: {{realm: test, path: {htpasswd}}}}}")
        config = self.root / "registry.yml"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self, timeout: float = 30.0) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        log = (self.root / "registry.log").open("ab")
        command = ["docker-registry", "serve", str(self._config())]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/v2/", timeout=1).status_code in (200, 401):
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError("docker-registry did not answer /v2/")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
