"""A real felhom-controller process on loopback (``felhom-controller run``), with no container
engine, no SMART, reporting to a hub URL nobody answers (reports wait in its spool)."""

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from ruamel.yaml import YAML

from tests.hub_process import free_port


def sane_overrides(folder: Path, port: int) -> dict[str, Any]:
    """What keeps a controller started from the example sane in a test: loopback API, a
    temporary state folder, nothing to collect that needs a real machine."""
    return {
        "report": {"interval_seconds": 3600},
        "engine": {"enabled": False},
        "smart": {"enabled": False},
        "api": {"listen": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}"},
        "update": {"command": ["touch", str(folder / "updated")]},
        "state_dir": str(folder / "state"),
    }


@dataclass
class ControllerProcess:
    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.folder / "controller.yaml"

    def start(self, *, customer_id: str, api_key: str, hub_url: str) -> None:
        self.port = self.port or free_port()
        data = {
            "identity": {"customer_id": customer_id, "hostname": "node-1"},
            "hub": {"url": hub_url, "api_key": api_key},
            **sane_overrides(self.folder, self.port),
        }
        with self.config_file.open("w") as out:
            YAML(typ="safe").dump(data, out)
        log = (self.folder / "controller.log").open("ab")
        command = [sys.executable, "-m", "felhom_controller.cli"]
        command += ["--config", str(self.config_file), "run"]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("felhom-controller did not start: " + self.log())

    def log(self) -> str:
        path = self.folder / "controller.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
