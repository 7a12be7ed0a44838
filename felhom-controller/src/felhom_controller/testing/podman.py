"""podman's Docker-compatible Engine API (``podman system service``) as a test peer.

Everything lives under one temporary directory (its own storage root, run root and
containers.conf), so tests never touch the machine's podman state. Containers run with runc and
cgroupfs (see shared/reference/containers-and-peers.md); their image is a one-file busybox root
imported with ``podman import``, so no registry is needed. podman runs healthchecks from
systemd timers, which a test machine lacks, so :meth:`Podman.healthcheck` runs one on demand.
"""

import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import httpx

IMAGE = "localhost/busybox:controller-test"
BUSYBOX = Path("/bin/busybox")
CONTAINERS_CONF = """\
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
"""


def available() -> str | None:
    """Why podman cannot run here, or None when it can."""
    if shutil.which("podman") is None:
        return "podman is not installed (Debian package 'podman')"
    if not BUSYBOX.exists():
        return "busybox-static is not installed (/bin/busybox)"
    return None


class Podman:
    def __init__(self, root: Path, insecure_registries: tuple[str, ...] = ()) -> None:
        self.root = root
        self.insecure_registries = insecure_registries
        self.registries_conf = root / "registries.conf"
        self.socket = root / "podman.sock"
        self.conf = root / "containers.conf"
        self.service: subprocess.Popen[bytes] | None = None

    def _base(self) -> list[str]:
        return [
            "podman",
            "--root",
            str(self.root / "storage"),
            "--runroot",
            str(self.root / "run"),
            "--storage-driver",
            "vfs",
        ]

    def _env(self) -> dict[str, str]:
        env = {**os.environ, "CONTAINERS_CONF": str(self.conf)}
        if self.insecure_registries:
            env["CONTAINERS_REGISTRIES_CONF"] = str(self.registries_conf)
        return env

    def podman(self, *args: str, check: bool = True, timeout: float = 60) -> str:
        done = subprocess.run(
            [*self._base(), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self._env(),
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args)}: {done.stderr}")
        return done.stdout.strip()

    def _import_image(self) -> None:
        tar = self.root / "busybox.tar"
        with tarfile.open(tar, "w") as archive:
            archive.add(BUSYBOX, "bin/busybox")
            for name in ("sh", "sleep", "true", "false"):
                link = tarfile.TarInfo(f"bin/{name}")
                link.type = tarfile.SYMTYPE
                link.linkname = "busybox"
                archive.addfile(link)
        self.podman("import", str(tar), IMAGE)

    def start(self, timeout: float = 30.0) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(CONTAINERS_CONF)
        self.registries_conf.write_text(
            "".join(
                f'[[registry]]\nlocation = "{r}"\ninsecure = true\n'
                for r in self.insecure_registries
            )
        )
        self._import_image()
        log = (self.root / "service.log").open("ab")
        command = [*self._base(), "system", "service", "--time=0", f"unix://{self.socket}"]
        self.service = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=self._env()
        )
        transport = httpx.HTTPTransport(uds=str(self.socket))
        deadline = time.monotonic() + timeout
        with httpx.Client(transport=transport, timeout=2) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get("http://d/v1.41/version").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise TimeoutError("podman system service did not answer")

    def push(self, image: str, target: str, creds: str = "") -> None:
        """Push ``image`` to ``target`` (a plain-HTTP loopback registry)."""
        self.podman("tag", image, target)
        options = ["--creds", creds] if creds else []
        self.podman("push", "--tls-verify=false", *options, target, timeout=120)

    def run(self, name: str, *options: str, command: tuple[str, ...] = ("sleep", "600")) -> None:
        self.podman("run", "-d", "--network", "none", "--name", name, *options, IMAGE, *command)

    def healthcheck(self, name: str) -> None:
        self.podman("healthcheck", "run", name, check=False)

    def stop(self) -> None:
        if self.service is None:
            return
        self.podman("rm", "--all", "--force", "--time", "0", check=False, timeout=120)
        self.service.terminate()
        try:
            self.service.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.service.kill()
            self.service.wait(timeout=15)
        self.service = None
