"""Start the real ``felhom-hub serve`` in a child process on a free loopback port."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

GLOBAL_KEY = "process-global-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class HubProcess:
    process: subprocess.Popen[bytes]
    url: str
    config: Path
    log: Path

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def write_config(data_dir: Path, port: int, server_extra: str = "", sections: str = "") -> Path:
    """``sections``: more top-level sections, e.g. 'auth:\n  password_hash: "…"\n'."""
    config = data_dir / "hub.yaml"
    config.write_text(
        f'api:\n  report_api_key: "{GLOBAL_KEY}"\n'
        f'server:\n  listen: "127.0.0.1:{port}"\n  data_dir: "{data_dir}"\n{server_extra}'
        + sections
    )
    return config


def start_hub(
    data_dir: Path,
    port: int | None = None,
    timeout: float = 30.0,
    server_extra: str = "",
    sections: str = "",
    env: dict[str, str] | None = None,
) -> HubProcess:
    """Start the hub and wait until /healthz answers 200 (bounded by ``timeout``).

    ``server_extra``: more lines of the server section, e.g. '  body_timeout: "2s"\n';
    ``sections``: more top-level sections (YAML text); ``env``: ``FELHOM_HUB_*`` variables
    (none of the caller's own are passed on).
    """
    port = port or free_port()
    config = write_config(data_dir, port, server_extra, sections)
    log = data_dir / f"hub-{port}.log"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FELHOM_HUB_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "felhom_hub.cli", "serve", "--config", str(config)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={**inherited, **(env or {})},
    )
    hub = HubProcess(process, f"http://127.0.0.1:{port}", config, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"hub exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{hub.url}/healthz", timeout=1).status_code == 200:
                return hub
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    hub.stop()
    raise TimeoutError(f"hub did not answer within {timeout}s:\n{log.read_text()}")


def replica_env(storage_url: str, password: str, keys: Path) -> dict[str, str]:
    """What every replica on one PostgreSQL database needs: the storage URL and password, and
    the shared session-signing key file and configs sealing key (created in ``keys``)."""
    keys.mkdir(parents=True, exist_ok=True)
    session_key = keys / "session.key"
    if not session_key.exists():
        session_key.write_bytes(os.urandom(32))
        session_key.chmod(0o600)
    sealing = keys / "configs.key"
    if not sealing.exists():
        sealing.write_text(Fernet.generate_key().decode())
    return {
        "FELHOM_HUB_STORAGE_URL": storage_url,
        "FELHOM_HUB_STORAGE_PASSWORD": password,
        "FELHOM_HUB_AUTH_SESSION_SECRET_FILE": str(session_key),
        "FELHOM_HUB_CONFIGS_SECRET_KEYS": sealing.read_text().strip(),
    }


def wait_for(check: Callable[[], bool], timeout: float = 40.0) -> None:
    """Poll ``check`` every 0.2 s until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")
