"""A real container registry for the version check: Debian's docker-registry (distribution) with
htpasswd basic auth on a loopback port; tags are pushed through its own HTTP API (a config blob
and an image manifest per tag), so no container engine is needed."""

import hashlib
import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import httpx

from tests.hub_process import free_port

MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def available() -> str | None:
    """None when the registry can run here, else why not (the test is then skipped)."""
    return None if shutil.which("docker-registry") else "Debian's docker-registry is not installed"


@dataclass
class Registry:
    folder: Path
    username: str
    password: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=4)).decode()
        (self.folder / "htpasswd").write_text(f"{self.username}:{hashed}\n")
        config = self.folder / "registry.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.folder / 'data'}\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n"
            f"auth:\n  htpasswd:\n    realm: test\n    path: {self.folder / 'htpasswd'}\n"
        )
        log = (self.folder / "registry.log").open("ab")
        self.process = subprocess.Popen(
            ["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        for _ in range(200):
            try:
                httpx.get(f"{self.url}/v2/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise TimeoutError("docker-registry did not start")

    def push_tag(self, repository: str, tag: str) -> None:
        """An empty image (a config blob, no layers) under ``tag``."""
        auth = (self.username, self.password)
        with httpx.Client(base_url=self.url, auth=auth, timeout=10) as http:
            blob = json.dumps({"architecture": "amd64", "os": "linux", "tag": tag}).encode()
            digest = "sha256:" + hashlib.sha256(blob).hexdigest()
            started = http.post(f"/v2/{repository}/blobs/uploads/")
            started.raise_for_status()
            location = started.headers["location"]
            joiner = "&" if "?" in location else "?"  # keep the upload's own _state parameter
            http.put(f"{location}{joiner}digest={digest}", content=blob).raise_for_status()
            manifest = {
                "schemaVersion": 2,
                "mediaType": MANIFEST,
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": len(blob),
                    "digest": digest,
                },
                "layers": [],
            }
            http.put(
                f"/v2/{repository}/manifests/{tag}",
                content=json.dumps(manifest).encode(),
                headers={"Content-Type": MANIFEST},
            ).raise_for_status()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
