"""The felhom-controllers of the local lab: a few nodes reporting to the lab's hub.

Each node has its own directory under var/lab/controllers/ (controller.yaml, state, log) and
watches a different set of mounts, so the fleet differs: node-1 watches "/" (ok), node-2 also
a data mount that is not there (fail, with a mount_failed event). They report every minute
with the hub's global key and serve their API on 127.0.0.1:8091, 8092, ….
"""

import subprocess
import time
from pathlib import Path

import httpx
from ruamel.yaml import YAML

INTERVAL_SECONDS = 60
WATCHED = (["/"], ["/", "/srv/lab-data"])


def hub_address(hub_config: Path) -> tuple[str, str]:
    """The hub's loopback URL and global API key, from the lab's hub.yaml."""
    config = YAML(typ="safe").load(hub_config.read_text()) or {}
    listen = str((config.get("server") or {}).get("listen", ":8080"))
    port = listen.rsplit(":", 1)[1]
    key = str((config.get("api") or {}).get("report_api_key", ""))
    return f"http://127.0.0.1:{port}", key


class LabControllers:
    def __init__(self, root: Path, hub_config: Path) -> None:
        self.root = root
        self.hub_config = hub_config
        self.processes: list[subprocess.Popen[bytes]] = []

    def _config(self, node: int, url: str, key: str) -> Path:
        home = self.root / f"node-{node}"
        home.mkdir(parents=True, exist_ok=True)
        path = home / "controller.yaml"
        mounts = WATCHED[(node - 1) % len(WATCHED)]
        path.write_text(
            f"identity: {{customer_id: lab-node-{node}, hostname: lab-node-{node}}}\n"
            f"hub: {{url: '{url}', api_key: '{key}'}}\n"
            f"report: {{interval_seconds: {INTERVAL_SECONDS}}}\n"
            f"storage: {{mounts: {mounts}}}\n"
            "engine: {enabled: false}\nsmart: {enabled: false}\n"
            f"backup: {{restic_password: lab-restic-password-{node}}}\n"
            f"api: {{listen: '127.0.0.1:{8090 + node}',"
            f" public_url: 'http://127.0.0.1:{8090 + node}'}}\n"
            f"state_dir: '{home / 'state'}'\n"
        )
        return path

    def start(self, count: int, wait_for_hub: float = 30.0) -> None:
        url, key = hub_address(self.hub_config)
        deadline = time.monotonic() + wait_for_hub
        while time.monotonic() < deadline:  # the controllers would only spool until it is up
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        for node in range(1, count + 1):
            config = self._config(node, url, key)
            log = (config.parent / "controller.log").open("ab")
            command = ["felhom-controller", "--config", str(config), "run"]
            self.processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
