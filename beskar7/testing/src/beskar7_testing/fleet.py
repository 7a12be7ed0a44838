"""Simulated servers behind a sushy-tools emulator: they network-boot when beskar7 asks them to.

`SimulatedFleet` plays the machines whose BMCs the emulator fakes. When a system is powered On
with a Pxe boot target it does what its firmware and the inspection image would: fetch
`boot.ipxe` from the callback server, follow its `chain` with the system's MAC (as iPXE expands
`${net0/mac}`), read the `kernel` line of the host's script, download the kernel and initrd,
then run the real inspector (`beskar7.inspector`) against a synthetic hardware tree with kexec
skipped, and finally — as the kexec'd OS would — fetch its seed meta-data and report
`provisioned` with the report token it carries.

It also serves the files those URLs point at (`/inspector/vmlinuz`, `/inspector/initrd.img`,
`/images/target.tar.gz`) and receives the emulator's change notifications, which tell it which
systems to watch closely (the emulator applies power changes 1 to 11 s late, and only when read).
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import tarfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from beskar7.inspector.flow import run as run_inspector
from beskar7.inspector.settings import parse_cmdline
from beskar7_testing.emulator import SushyEmulator
from beskar7_testing.fleet_server import FleetServer
from beskar7_testing.hardware import Hardware, Nic, write_tree

log = logging.getLogger(__name__)

SWEEP_SECONDS = 10.0
TICK_SECONDS = 0.1


@dataclass
class Boot:
    """What happened to one system's network boots, with wall-clock times for benchmarks."""

    events: list[tuple[str, float]] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.events.append((what, time.time()))

    def first(self, what: str) -> float | None:
        return next((t for w, t in self.events if w == what), None)


class SimulatedFleet:
    def __init__(
        self,
        emulator: SushyEmulator,
        callback_url: str,
        workdir: Path,
        *,
        hardware: Callable[[int], Hardware] = lambda i: Hardware(),
        dead: frozenset[int] = frozenset(),
        server: FleetServer | None = None,
        guest_host: str = "127.0.0.1",
    ) -> None:
        self.emulator = emulator
        self.callback_url = callback_url.rstrip("/")
        self.workdir = workdir
        self.hardware = hardware
        self.dead = dead
        """Systems that power on but never boot (to exercise inspection timeouts)."""
        self.server = server or FleetServer(target_archive())
        self.guest_host = guest_host
        """How the servers reach the host's loopback: 127.0.0.1, or 10.0.2.2 from a qemu guest."""
        self.boots: dict[int, Boot] = {i: Boot() for i in range(len(emulator.systems))}
        self._booted_this_cycle: set[int] = set()
        self._due: dict[int, float] = {}
        """When to look at a system next (wall clock), from the emulator's notifications."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        workers = max(8, len(emulator.systems))  # a server waits on I/O most of its boot
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="server")
        self._thread = threading.Thread(target=self._watch, name="fleet", daemon=True)
        self._http = httpx.Client(timeout=30)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> SimulatedFleet:
        self.server.on_notification = self._notified
        self.server.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.server.stop()
        self._http.close()

    def __enter__(self) -> SimulatedFleet:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def guest_url(self) -> str:
        """The fleet server's URL as the servers see it."""
        return self.server.url.replace("127.0.0.1", self.guest_host, 1)

    @property
    def image_url(self) -> str:
        """What a Beskar7Machine's inspectionImage should be."""
        return f"{self.guest_url}/inspector"

    @property
    def target_url(self) -> str:
        """What a Beskar7Machine's targetOSImage should be."""
        return f"{self.guest_url}/images/target.tar.gz"

    # -- watching the emulator ----------------------------------------------------------------

    def _notified(self, system: dict[str, Any]) -> None:
        """A change notification: look at the system when its pending power change is due (the
        emulator applies it on the first read after `apply_time`), else at once."""
        uuid = system["uuid"]
        index = next((i for i, s in enumerate(self.emulator.systems) if s.uuid == uuid), None)
        if index is None:
            return
        pending = system.get("pending_power")
        when = time.time()
        if isinstance(pending, dict) and isinstance(pending.get("apply_time"), int | float):
            when = float(pending["apply_time"]) + 0.05
        with self._lock:
            self._due[index] = min(self._due.get(index, when), when)

    def _watch(self) -> None:
        next_sweep = 0.0
        while not self._stop.wait(TICK_SECONDS):
            now = time.time()
            with self._lock:
                due = {i for i, t in self._due.items() if t <= now}
                for index in due:
                    del self._due[index]
            if time.monotonic() >= next_sweep:  # a slow catch-all, should a notification be lost
                due = set(range(len(self.emulator.systems)))
                next_sweep = time.monotonic() + SWEEP_SECONDS
            for index in sorted(due):
                self._look(index)

    def _look(self, index: int) -> None:
        try:
            doc = self.emulator.get(f"/redfish/v1/Systems/{self.emulator.systems[index].uuid}")
        except Exception as exc:  # the emulator may be busy or stopping; look again later
            log.debug("system %d: %s", index, exc)
            return
        power = doc.get("PowerState")
        target = doc.get("Boot", {}).get("BootSourceOverrideTarget")
        if power == "Off":
            if index in self._booted_this_cycle:
                self._booted_this_cycle.discard(index)
                self.boots[index].note("power-off")
                self.powered_off(index)
            return
        if power == "On" and target == "Pxe" and index not in self._booted_this_cycle:
            self._booted_this_cycle.add(index)
            self.boots[index].note("power-on")
            if index not in self.dead:
                self._pool.submit(self._boot, index)

    def powered_off(self, index: int) -> None:
        """The system went Off after booting (a simulated server has nothing to stop)."""

    # -- one network boot ---------------------------------------------------------------------

    def _boot(self, index: int) -> None:
        boot = self.boots[index]
        try:
            kernel_line = self._kernel_line(index)
            boot.note("boot-script")
            image, params = kernel_line
            for name in ("vmlinuz", "initrd.img"):
                self._http.get(f"{image.rsplit('/', 1)[0]}/{name}").raise_for_status()
            settings = dataclasses.replace(
                parse_cmdline(params),
                state_dir=self.workdir / f"state-{index}",
                poll_interval=1.0,
                retry_cap=5.0,
            )
            root = write_tree(self.workdir / f"hw-{index}", self._hardware(index))
            out = io.StringIO()
            code = run_inspector(settings, root, skip_kexec=True, path="", out=out)
            boot.note(f"inspector-exit-{code}")
            if code == 0:
                self._report_provisioned(out.getvalue())
                boot.note("provisioned")
        except Exception as exc:
            boot.note("boot-failed")
            log.warning("simulated server %d: boot failed: %s", index, exc)

    def _hardware(self, index: int) -> Hardware:
        hw = self.hardware(index)
        mac = self.emulator.systems[index].mac
        nics = (Nic(hw.nics[0].name if hw.nics else "eth0", mac), *hw.nics[1:])
        return dataclasses.replace(hw, nics=nics)

    def _kernel_line(self, index: int) -> tuple[str, str]:
        """Follow boot.ipxe's chain like iPXE, until the host's script has a kernel line."""
        mac = urllib.parse.quote(self.emulator.systems[index].mac, safe="")
        deadline = time.monotonic() + 120
        chain: str | None = None
        while time.monotonic() < deadline and not self._stop.is_set():
            try:  # boot.ipxe loops `chain || goto chain_retry`: a manager restart is waited out
                if chain is None:
                    script = self._http.get(f"{self.callback_url}/boot.ipxe").text
                    chain = _command(script, "chain").replace("${net0/mac}", mac)
                script = self._http.get(chain).text
            except httpx.TransportError:
                script = ""
            if re.search(r"^kernel ", script, re.M):
                kernel = _command(script, "kernel").split(" ", 1)
                return kernel[0], kernel[1] if len(kernel) > 1 else ""
            time.sleep(1.0)  # the waiting script: iPXE would sleep and chain again
        raise TimeoutError("no boot script for this server")

    def _report_provisioned(self, kexec_lines: str) -> None:
        """What a final OS does with the command line the inspector kexecs it with: fetch its
        user-data and meta-data from `beskar7.seed` (single use), then report provisioned with
        the report token the meta-data carries (the inspector's token is not on that line)."""
        seed = re.search(r"beskar7\.seed=(\S+?)(?:'|\s|$)", kexec_lines)
        assert seed is not None, "no beskar7.seed on the final OS's command line"
        self._http.get(seed.group(1) + "user-data").raise_for_status()
        meta = self._http.get(seed.group(1) + "meta-data")
        meta.raise_for_status()
        values = seed_meta_data(meta.text)
        headers = {"Authorization": f"Bearer {values['beskar7-report-token']}"}
        self._http.post(values["beskar7-report-url"], headers=headers).raise_for_status()


def seed_meta_data(text: str) -> dict[str, str]:
    """The `key: "value"` lines of the seed's meta-data."""
    found = {}
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        found[key] = json.loads(value)
    return found


def _command(script: str, name: str) -> str:
    """The argument text of the first `name` command in an iPXE script, minus `|| goto …`."""
    match = re.search(rf"^{name} (.+)$", script, re.M)
    if match is None:
        raise ValueError(f"no {name} command in the iPXE script")
    words = match.group(1).split(" || ", 1)[0].split()
    while words and words[0].startswith("--"):  # iPXE options such as `chain --replace`
        words.pop(0)
    return " ".join(words)


def target_archive() -> bytes:
    """A target OS 'image': a tar.gz with a kernel and an initrd (placeholders, never booted)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in (("boot/vmlinuz", b"kernel"), ("boot/initrd.img", b"initrd")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()
