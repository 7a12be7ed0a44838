"""Plain values the Redfish facade hands out: credentials, system facts, addresses."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum

INTERNAL_IP = "InternalIP"
EXTERNAL_IP = "ExternalIP"


class PowerState(StrEnum):
    """Redfish `PowerState` values; a BMC may report others, so facts keep the plain string."""

    ON = "On"
    OFF = "Off"
    POWERING_ON = "PoweringOn"
    POWERING_OFF = "PoweringOff"
    PAUSED = "Paused"


class PowerOperation(StrEnum):
    """What beskar7 asks a BMC to do with the power (the stats' and events' label)."""

    POWER_ON = "PowerOn"
    FORCE_RESTART = "ForceRestart"
    POWER_OFF = "PowerOff"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class SystemInfo:
    manufacturer: str | None
    model: str | None
    serial_number: str | None
    health: str | None
    health_rollup: str | None
    state: str | None
    power_state: str | None


@dataclass(frozen=True)
class NetworkAddress:
    """A host address as Cluster API reports it: `type` is InternalIP or ExternalIP."""

    type: str
    address: str

    @classmethod
    def classify(cls, text: str) -> NetworkAddress | None:
        """The address typed by its range; None for unparsable or unspecified addresses."""
        try:
            ip = ipaddress.ip_address(text.strip().split("%", 1)[0])
        except ValueError:
            return None
        if ip.is_unspecified:
            return None
        internal = ip.is_private or ip.is_loopback or ip.is_link_local
        return cls(INTERNAL_IP if internal else EXTERNAL_IP, str(ip))
