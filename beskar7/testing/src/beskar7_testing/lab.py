"""A provisioning lab on loopback: the Redfish emulator, simulated servers, and a real
`beskar7 manager` process on an embedded store, plus helpers to add hosts and machines.

Used by the end-to-end tests, the provisioning benchmark and `make run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from beskar7.api.errors import AlreadyExistsError
from beskar7.api.kinds import BESKAR7_MACHINE, CLUSTER, MACHINE, PHYSICAL_HOST, Obj
from beskar7.api.validation import validate
from beskar7.store.embedded.store import EmbeddedStore
from beskar7.store.protocol import Store
from beskar7_testing import objects
from beskar7_testing.emulator import SushyEmulator, fake_systems, free_port
from beskar7_testing.fleet import SimulatedFleet, target_archive
from beskar7_testing.fleet_server import FleetServer
from beskar7_testing.hardware import Hardware
from beskar7_testing.qemu import GUEST_HOST, Firmware, VirtualFleet, image_server

BMC_USER, BMC_PASSWORD = "lab-admin", "lab-password"  # the emulated BMCs' throwaway credential
BMC_SECRET = "lab-bmc"
CLUSTER_NAME = "lab"


class ProvisioningLab:
    def __init__(
        self,
        workdir: Path,
        *,
        systems: int = 4,
        hardware: Callable[[int], Hardware] = lambda i: Hardware(),
        dead: frozenset[int] = frozenset(),
        namespace: str = "default",
        inspection_timeout: str = "120s",
        callback_port: int | None = None,
        store_path: Path | None = None,
        redfish_port: int | None = None,
        manager_args: Sequence[str] = (),
        image_dir: Path | None = None,
        firmware: Firmware = Firmware.BIOS,
    ) -> None:
        """`image_dir` (a `make image` output) makes the servers real qemu VMs (testing.qemu)
        booting that image with `firmware`; without it they are simulated (testing.fleet)."""
        self.firmware = firmware
        self.workdir = workdir.resolve()
        self.namespace = namespace
        self.callback_port = callback_port or free_port()
        self.callback_url = f"http://127.0.0.1:{self.callback_port}"
        self.store_path = (store_path or self.workdir / "beskar7.db").resolve()
        self.inspection_timeout = inspection_timeout
        self.manager_args = list(manager_args)
        self.server = image_server(image_dir) if image_dir else FleetServer(target_archive())
        self.emulator = SushyEmulator(
            self.workdir / "emulator",
            systems=fake_systems(systems),
            port=redfish_port,
            username=BMC_USER,
            password=BMC_PASSWORD,
            notification_url=self.server.notify_url,
        )
        self.guest_callback_url = self.callback_url
        self.fleet = self._fleet(hardware, dead, image_dir)
        self.store: Store = EmbeddedStore(self.store_path, validate=validate)
        self.manager: subprocess.Popen[bytes] | None = None
        self.manager_log = self.workdir / "manager.log"

    def _fleet(
        self, hardware: Callable[[int], Hardware], dead: frozenset[int], image_dir: Path | None
    ) -> SimulatedFleet:
        if image_dir is None:
            return SimulatedFleet(
                self.emulator,
                self.callback_url,
                self.workdir / "fleet",
                hardware=hardware,
                dead=dead,
                server=self.server,
            )
        self.guest_callback_url = f"http://{GUEST_HOST}:{self.callback_port}"
        return VirtualFleet(
            self.emulator,
            self.guest_callback_url,
            self.workdir / "vms",
            server=self.server,
            firmware=self.firmware,
        )

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> ProvisioningLab:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.server.start()
        await asyncio.to_thread(self.emulator.start)
        self.fleet.start()
        await self._create(objects.secret(BMC_SECRET, self.namespace, _bmc_credentials()))
        await self._create(objects.cluster(CLUSTER_NAME, self.namespace))
        provisioned = objects.INFRASTRUCTURE_PROVISIONED  # what CAPI core would write
        await self.store.patch_status(CLUSTER, self.namespace, CLUSTER_NAME, provisioned)
        self.start_manager()
        return self

    async def stop(self) -> None:
        self.stop_manager()
        self.fleet.stop()
        await asyncio.to_thread(self.emulator.stop)
        await self.store.close()

    async def __aenter__(self) -> ProvisioningLab:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_manager(self) -> None:
        command = [
            sys.executable, "-m", "beskar7.cli", "manager", "--store", str(self.store_path),
            "--metrics-bind-address=0", "--health-probe-bind-address=0",
            "--inspection-bind-address=127.0.0.1", f"--inspection-port={self.callback_port}",
            f"--bootstrap-url-base={self.guest_callback_url}",
            f"--inspection-timeout={self.inspection_timeout}", "--redfish-timeout=10s",
            # every simulated server boots from 127.0.0.1: one rate-limit bucket for all
            "--boot-rate=1000", "--boot-burst=1000",
            *self.manager_args,
        ]  # fmt: skip
        with self.manager_log.open("ab") as log:
            self.manager = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    def stop_manager(self, sig: int = signal.SIGTERM) -> None:
        """Stop the manager (SIGKILL to simulate a crash)."""
        if self.manager is not None and self.manager.poll() is None:
            os.kill(self.manager.pid, sig)
            try:
                self.manager.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.manager.kill()
                self.manager.wait(timeout=10)
        self.manager = None

    # -- objects ------------------------------------------------------------------------------

    async def _create(self, obj: Obj) -> None:
        """Create `obj` unless it exists (a lab may run again on the same store)."""
        with contextlib.suppress(AlreadyExistsError):
            await self.store.create(obj)

    async def add_hosts(self, indexes: Sequence[int]) -> list[str]:
        """One PhysicalHost per emulated system, named after it, with its boot MAC."""
        names = []
        for i in indexes:
            system = self.emulator.systems[i]
            address = self.emulator.system_address(i)
            host = objects.physical_host(
                system.name, self.namespace, address, BMC_SECRET, system.mac
            )
            await self.store.create(host)
            names.append(system.name)
        return names

    async def add_machine(
        self,
        name: str,
        requirements: dict[str, int] | None = None,
        os_family: str | None = None,
        *,
        config_url: bool = True,
        user_data: str | None = None,
    ) -> None:
        """A CAPI Machine with bootstrap data (`user_data`, else a small cloud-config), and the
        Beskar7Machine it owns; with `os_family`, that family and (unless not `config_url`) a
        configurationURL on the fleet server, instead of beskar7's seed."""
        data_secret = f"{name}-bootstrap"
        data = user_data or f"#cloud-config\nhostname: {name}\n"
        await self.store.create(objects.secret(data_secret, self.namespace, {"value": data}))
        owner = await self.store.create(
            objects.machine(name, self.namespace, CLUSTER_NAME, data_secret)
        )
        infra = objects.beskar7_machine(
            name,
            self.namespace,
            owner,
            image=self.fleet.image_url,
            target=self.fleet.target_url,
            requirements=requirements,
        )
        if os_family is not None:
            infra["spec"]["osFamily"] = os_family
        if os_family is not None and config_url:
            infra["spec"]["configurationURL"] = f"{self.fleet.guest_url}/config/{name}.yaml"
        await self.store.create(infra)

    async def machine(self, name: str) -> Obj:
        return await self.store.get(BESKAR7_MACHINE, self.namespace, name)

    async def capi_machine(self, name: str) -> Obj:
        return await self.store.get(MACHINE, self.namespace, name)

    async def host(self, name: str) -> Obj:
        return await self.store.get(PHYSICAL_HOST, self.namespace, name)

    async def wait(self, check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
        """Poll `check` until true; on timeout fail with the manager's log tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await check():
                return
            await asyncio.sleep(0.25)
        raise AssertionError(
            f"timed out after {timeout:.0f} s waiting for {what}\n{self.log_tail()}"
        )

    def log_tail(self, chars: int = 4000) -> str:
        text = self.manager_log.read_text() if self.manager_log.exists() else ""
        return f"--- manager log (tail) ---\n{text[-chars:]}"


def _bmc_credentials() -> dict[str, str]:
    return {"username": BMC_USER, "password": BMC_PASSWORD}
