"""The real ``felhom-hub serve`` in a child process on a free loopback port, with customers
created through its own CLI; what it stored is read back through its API and database."""

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

GLOBAL_KEY = "controller-tests-global-key-0123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _hub_command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "felhom_hub.cli", *args, "--config", str(config)]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FELHOM_")}


@dataclass
class Hub:
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.data_dir / "hub.yaml"

    def write_config(self) -> None:
        self.config.write_text(
            f'api:\n  report_api_key: "{GLOBAL_KEY}"\n'
            f'server:\n  listen: "127.0.0.1:{self.port}"\n  data_dir: "{self.data_dir}"\n'
        )

    def create_customer(self, customer_id: str) -> str:
        """Create a managed customer with the hub's CLI; its API key."""
        done = subprocess.run(
            _hub_command(self.config, "customer", "create", customer_id),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=_env(),
        )
        match = re.search(r"api key:\s+(\S+)", done.stdout)
        assert match, done.stdout
        return match.group(1)

    def start(self, timeout: float = 30.0) -> None:
        log = (self.data_dir / "hub.log").open("ab")
        self.process = subprocess.Popen(
            _hub_command(self.config, "serve"), stdout=log, stderr=subprocess.STDOUT, env=_env()
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.data_dir / "hub.log").read_text())
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError("hub did not answer /healthz")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def latest_report(self, customer_id: str) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {GLOBAL_KEY}"}
        answer = httpx.get(f"{self.url}/api/v1/customers/{customer_id}", headers=headers)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        report: dict[str, Any] = answer.json()["report"]
        return report

    def history(self, customer_id: str) -> list[dict[str, Any]]:
        """The whole reports the hub stored in the last day, oldest first."""
        headers = {"Authorization": f"Bearer {GLOBAL_KEY}"}
        url = f"{self.url}/api/v1/customers/{customer_id}/reports?period=1d&limit=100"
        answer = httpx.get(url, headers=headers)
        answer.raise_for_status()
        reports: list[dict[str, Any]] = answer.json()["reports"]
        return reports[::-1]

    def events(self, customer_id: str) -> list[dict[str, Any]]:
        """The events the hub stored for ``customer_id`` in the last day, oldest first."""
        headers = {"Authorization": f"Bearer {GLOBAL_KEY}"}
        url = f"{self.url}/api/v1/customers/{customer_id}/events?period=1d&limit=500"
        answer = httpx.get(url, headers=headers)
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()["events"]
        return [
            {k: e[k] for k in ("event_type", "severity", "message", "details")}
            for e in reversed(found)
        ]


def prepare_hub(data_dir: Path) -> Hub:
    data_dir.mkdir(parents=True, exist_ok=True)
    hub = Hub(data_dir, free_port())
    hub.write_config()
    return hub
