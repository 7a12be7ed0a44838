"""Launch the real sushy-tools Redfish emulator (fake driver) as a child process.

Used by tests, the benchmark and the local lab (`make run`), so it imports nothing from pytest.
Each instance has its own work directory: config, htpasswd (bcrypt), a private state dir
(the fake driver persists systems in SQLite and would otherwise leak state between runs),
the emulator's log (`emulator.log`) and, with `tls=True`, a self-signed certificate.

Power changes are not immediate: sushy-tools 2.2.0's fake driver applies a power change at
`int(time.time()) + random.randint(1, 11)`, i.e. 0-11 s later, and only when the system is
next read. No config knob shortens it, so poll (see `wait_for_power_state`) for up to
`POWER_CHANGE_MAX_DELAY`; a system's initial power state can be chosen instead. The emulator
also ignores `BootSourceOverrideEnabled` (always reports Continuous): assert the Target.
With a notification URL, every change is PUT there synchronously; if nothing listens, the
Redfish request that triggered the change fails with HTTP 500.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from beskar7_testing.emulator_files import (
    EmulatorError,
    FakeSystem,
    fake_systems,
    write_config,
    write_htpasswd,
    write_self_signed_cert,
)

__all__ = ["POWER_CHANGE_MAX_DELAY", "EmulatorError", "FakeSystem", "SushyEmulator", "fake_systems"]

POWER_CHANGE_MAX_DELAY = 12.0
"""Seconds after which the fake driver has surely applied a power change (it draws 0-11 s)."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class SushyEmulator:
    """A running `sushy-emulator --fake`; a context manager (`with SushyEmulator(...) as emu`)."""

    def __init__(
        self,
        workdir: str | Path | None = None,
        *,
        systems: int | Sequence[FakeSystem] = 1,
        host: str = "127.0.0.1",
        port: int | None = None,
        tls: bool = False,
        username: str = "admin",
        password: str | None = None,
        notification_url: str | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.systems = fake_systems(systems) if isinstance(systems, int) else list(systems)
        self.host = host
        self._pick_port = port is None
        self.port = port or free_port(host)
        self.tls = tls
        self.username = username
        self.password = password or f"pw-{secrets.token_urlsafe(12)}"
        self.notification_url = notification_url
        self.start_timeout = start_timeout
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sushy-emulator-")).resolve()
        self.log_path = self.workdir / "emulator.log"
        self.ca_file: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._http: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def system_ids(self) -> list[str]:
        return [s.uuid for s in self.systems]

    @property
    def pid(self) -> int | None:
        """The emulator process's id while it runs (for CPU accounting in benchmarks)."""
        return self._proc.pid if self._proc is not None else None

    def system_address(self, i: int) -> str:
        """The full address naming system `i`, as a PhysicalHost's redfishConnection has it."""
        return f"{self.url}/redfish/v1/Systems/{self.systems[i].uuid}"

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> SushyEmulator:
        """Write the files, start the process and wait until it lists every system."""
        if self._proc is not None:
            return self
        if importlib.util.find_spec("sushy_tools") is None:
            raise EmulatorError("sushy-tools is not installed (it is a dev dependency)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            try:
                self._launch()
                return self
            except EmulatorError:
                self.stop(keep_workdir=True)
                in_use = "Address already in use" in self.log_tail()
                if not (self._pick_port and in_use) or attempt == 2:
                    self.stop()
                    raise
                self.port = free_port(self.host)  # another process took the port we picked
            except BaseException:
                self.stop()
                raise
        return self

    def _launch(self) -> None:
        config = self._prepare()
        self._log = self.log_path.open("wb")
        env = {**os.environ, "SUSHY_EMULATOR_CONFIG": str(config), "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "sushy_tools.emulator.main", "--config", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            env=env,
            start_new_session=True,
        )
        self._wait_ready()

    def stop(self, *, keep_workdir: bool = False) -> None:
        """Terminate the emulator (kill it if it lingers) and remove a temporary work dir."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for closable in (self._http, self._log):
            if closable is not None:
                closable.close()
        self._http = self._log = None
        if self._own_workdir and not keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SushyEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare(self) -> Path:
        state = self.workdir / "state"
        shutil.rmtree(state, ignore_errors=True)  # a reused work dir must not resurrect old systems
        state.mkdir()
        htpasswd = self.workdir / "htpasswd"
        write_htpasswd(htpasswd, self.username, self.password)
        notify = self.notification_url is not None
        settings: dict[str, Any] = {
            "SUSHY_EMULATOR_LISTEN_IP": self.host,
            "SUSHY_EMULATOR_LISTEN_PORT": self.port,
            "SUSHY_EMULATOR_FAKE_DRIVER": True,
            "SUSHY_EMULATOR_FAKE_SYSTEMS": [s.config(notify) for s in self.systems],
            "SUSHY_EMULATOR_STATE_DIR": str(self.workdir / "state"),
            "SUSHY_EMULATOR_AUTH_FILE": str(htpasswd),
        }
        if notify:
            settings["EXTERNAL_NOTIFICATION_URL"] = self.notification_url
        if self.tls:
            tls_dir = self.workdir / "tls"
            tls_dir.mkdir(exist_ok=True)
            cert, key = write_self_signed_cert(tls_dir, self.host)
            settings["SUSHY_EMULATOR_SSL_CERT"] = str(cert)
            settings["SUSHY_EMULATOR_SSL_KEY"] = str(key)
            self.ca_file = cert
        config = self.workdir / "emulator.conf"
        write_config(config, settings)
        return config

    def _wait_ready(self) -> None:
        """Poll the root, then until the Systems collection lists every system (this first
        listing is what makes the fake driver seed its state: seconds for 500 systems)."""
        deadline = time.monotonic() + self.start_timeout
        self._poll(deadline, lambda: bool(self.get("/redfish/v1/", timeout=2.0)))

        def all_listed() -> bool:
            wait = max(1.0, deadline - time.monotonic())
            listing = self.get("/redfish/v1/Systems", timeout=wait)
            return len(listing.get("Members", [])) == len(self.systems)

        self._poll(deadline, all_listed)

    def _poll(self, deadline: float, ready: Callable[[], bool]) -> None:
        while True:
            if self._proc is None or self._proc.poll() is not None:
                raise EmulatorError(f"sushy-emulator exited during start-up: {self.log_tail()}")
            try:
                if ready():
                    return
            except (httpx.HTTPError, EmulatorError):
                pass
            if time.monotonic() > deadline:
                raise EmulatorError(
                    f"sushy-emulator not ready after {self.start_timeout:g}s: {self.log_tail()}"
                )
            time.sleep(0.1)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    # -- reading through plain HTTP, for assertions --------------------------------------------

    def _client(self) -> httpx.Client:
        if self._http is None:
            verify: ssl.SSLContext | bool = True
            if self.ca_file is not None:
                verify = ssl.create_default_context(cafile=str(self.ca_file))
            self._http = httpx.Client(
                base_url=self.url, auth=(self.username, self.password), verify=verify, timeout=30
            )
        return self._http

    def get(self, path: str, timeout: float = 30.0) -> dict[str, Any]:
        """GET a Redfish document (authenticated) as JSON."""
        resp = self._client().get(path, timeout=timeout)
        if resp.status_code != 200:
            raise EmulatorError(f"GET {path}: HTTP {resp.status_code}")
        doc = resp.json()
        if not isinstance(doc, dict):
            raise EmulatorError(f"GET {path}: not a JSON object")
        return doc

    def system_json(self, i: int) -> dict[str, Any]:
        return self.get(f"/redfish/v1/Systems/{self.systems[i].uuid}")

    def power_state(self, i: int) -> str:
        return str(self.system_json(i).get("PowerState"))

    def boot_target(self, i: int) -> str | None:
        target = self.system_json(i).get("Boot", {}).get("BootSourceOverrideTarget")
        return None if target is None else str(target)

    def wait_for_power_state(
        self, i: int, state: str, timeout: float = POWER_CHANGE_MAX_DELAY + 3
    ) -> None:
        """Poll system `i` until it reports `state`; TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (current := self.power_state(i)) != state:
            if time.monotonic() > deadline:
                raise TimeoutError(f"system {i} still {current}, not {state}, after {timeout:g}s")
            time.sleep(0.25)

    def reset(self, i: int, reset_type: str) -> None:
        """POST a ComputerSystem.Reset directly (to arrange a state without the facade)."""
        path = f"/redfish/v1/Systems/{self.systems[i].uuid}/Actions/ComputerSystem.Reset"
        resp = self._client().post(path, json={"ResetType": reset_type})
        if resp.status_code >= 300:
            raise EmulatorError(f"reset {reset_type} of system {i}: HTTP {resp.status_code}")

    def set_boot_target(self, i: int, target: str) -> None:
        """PATCH BootSourceOverrideTarget directly (to arrange a state without the facade)."""
        path = f"/redfish/v1/Systems/{self.systems[i].uuid}"
        body = {"Boot": {"BootSourceOverrideTarget": target}}
        resp = self._client().patch(path, json=body)
        if resp.status_code >= 300:
            raise EmulatorError(f"boot target {target} of system {i}: HTTP {resp.status_code}")
