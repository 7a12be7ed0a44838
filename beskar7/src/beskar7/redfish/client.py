"""`RedfishClient`: the few Redfish operations beskar7 needs, async, over sushy."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

import sushy
from sushy.resources.system.system import System

from beskar7.redfish.address import BmcAddress, parse_address
from beskar7.redfish.calls import BmcCaller
from beskar7.redfish.connector import BmcConnector, open_root
from beskar7.redfish.errors import (
    RedfishConnectionError,
    RedfishNotFoundError,
    RedfishProtocolError,
    RedfishUnsupportedError,
)
from beskar7.redfish.models import Credentials, NetworkAddress, SystemInfo
from beskar7.redfish.reading import interface_addresses, str_field, system_info

T = TypeVar("T")

log = logging.getLogger("beskar7.redfish")

CLEAR_BOOT_OVERRIDE = {
    "Boot": {"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None"}
}


class RedfishClient:
    """One BMC's system. Build with `await RedfishClient.connect(...)`; close when done."""

    def __init__(
        self, caller: BmcCaller, conn: BmcConnector, root: Any, system: System, path: str
    ) -> None:
        self._call = caller
        self._conn = conn
        self._root = root
        self._system = system
        self.system_path = path
        self._closed = False

    @property
    def base_url(self) -> str:
        return self._call.bmc

    def __repr__(self) -> str:
        return f"RedfishClient({self._call.bmc}{self.system_path})"

    @classmethod
    async def connect(
        cls,
        address: str,
        credentials: Credentials,
        *,
        insecure_skip_verify: bool = False,
        timeout: float = 10.0,
    ) -> RedfishClient:
        """Reach the BMC, check the credentials and find the system the address names."""
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        bmc = parse_address(address)
        caller = BmcCaller(bmc.base_url, timeout, (credentials.password,))

        def open_() -> RedfishClient:
            conn, root = open_root(
                bmc.base_url, credentials, verify=not insecure_skip_verify, timeout=timeout
            )
            try:
                path = bmc.system_path or _only_system(root, bmc)
                return cls(caller, conn, root, root.get_system(path), path)
            except BaseException:
                conn.close()
                raise

        doing = f"reading system {bmc.system_path}" if bmc.system_path else "listing systems"
        return await caller(doing, open_)

    async def system_info(self) -> SystemInfo:
        def read() -> SystemInfo:
            self._system.refresh()
            return system_info(self._system.json)

        return await self._run("reading the system", read)

    async def power_state(self) -> str:
        def read() -> str:
            self._system.refresh()
            state = str_field(self._system.json, "PowerState")
            if state is None:
                raise RedfishProtocolError(f"BMC at {self.base_url} did not report a PowerState")
            return state

        return await self._run("reading the power state", read)

    async def power_on(self) -> None:
        await self._reset(sushy.ResetType.ON, "powering on")

    async def force_off(self) -> None:
        await self._reset(sushy.ResetType.FORCE_OFF, "forcing power off")

    async def graceful_shutdown(self) -> None:
        await self._reset(sushy.ResetType.GRACEFUL_SHUTDOWN, "shutting down gracefully")

    async def reset(self) -> None:
        await self._reset(sushy.ResetType.FORCE_RESTART, "force-restarting")

    async def set_pxe_once(self) -> None:
        """Boot from PXE on the next boot only (the emulator records Target but not Enabled)."""

        def patch() -> None:
            # Allowed values as last read; sushy GETs the system again for its ETag.
            if sushy.BootSource.PXE not in self._system.get_allowed_system_boot_source_values():
                raise RedfishUnsupportedError(
                    f"BMC at {self.base_url} does not offer Pxe as a boot override target"
                )
            self._system.set_system_boot_options(
                target=sushy.BootSource.PXE, enabled=sushy.BootSourceOverrideEnabled.ONCE
            )

        await self._run("setting one-time PXE boot", patch)

    async def clear_boot_override(self) -> None:
        """Send Enabled=Disabled and Target=None together (sushy-tools wants a Target)."""

        def patch() -> None:
            etag = self._conn.get(self.system_path).headers.get("ETag")
            self._conn.patch(self.system_path, data=CLEAR_BOOT_OVERRIDE, etag=etag)

        await self._run("clearing the boot override", patch)

    async def network_addresses(self) -> list[NetworkAddress]:
        """IPv4/IPv6 addresses of the EthernetInterfaces (none if the BMC lists none)."""

        def read() -> list[NetworkAddress]:
            self._system.refresh()
            if not self._system.json.get("EthernetInterfaces"):
                return []
            docs = [nic.json for nic in self._system.ethernet_interfaces.get_members()]
            return interface_addresses(docs)

        return await self._run("reading the network interfaces", read)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._conn.close()

    async def __aenter__(self) -> RedfishClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _reset(self, value: sushy.ResetType, doing: str) -> None:
        def post() -> None:
            if value not in self._system.get_allowed_reset_system_values():
                raise RedfishUnsupportedError(
                    f"BMC at {self.base_url} does not allow the reset type {value.value}"
                )
            self._system.reset_system(value)

        await self._run(doing, post)

    async def _run(self, doing: str, fn: Callable[[], T]) -> T:
        if self._closed:
            raise RedfishConnectionError(f"client for BMC at {self.base_url} is closed")
        log.debug("%s on %s%s", doing, self.base_url, self.system_path)
        return await self._call(doing, fn)


def _only_system(root: Any, bmc: BmcAddress) -> str:
    members = sorted(root.get_system_collection().members_identities)
    if len(members) == 1:
        return str(members[0])
    if not members:
        raise RedfishNotFoundError(f"BMC at {bmc} lists no systems")
    shown = ", ".join(str(m).rsplit("/", 1)[-1] for m in members[:3])
    more = ", ..." if len(members) > 3 else ""
    raise RedfishNotFoundError(
        f"BMC at {bmc} has {len(members)} systems ({shown}{more}); the address must name "
        f"one: {bmc}/redfish/v1/Systems/<id>"
    )


RedfishConnect = Callable[..., Awaitable[RedfishClient]]
"""Anything with the signature of `RedfishClient.connect` (controllers take one, tests fake it)."""
