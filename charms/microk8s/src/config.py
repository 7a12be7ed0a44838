"""Typed charm configuration; every invalid value raises ValueError naming its option."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from urllib.parse import urlparse

import containerd

_RISK = r"(stable|candidate|beta|edge)(/[a-z0-9-]+)?"
# "", "<track>", "<track>/<risk>[/<branch>]" or "<risk>[/<branch>]"
_CHANNEL = re.compile(rf"^([a-z0-9][a-z0-9.-]*(/{_RISK})?|{_RISK})?$")
_SAN = re.compile(r"^[A-Za-z0-9.:%_*-]+$")
UNIT_ADDRESS = "%UNIT_PUBLIC_ADDRESS%"


class Role(str, enum.Enum):
    """The part a unit plays in the cluster; fixed at deployment."""

    CONTROL_PLANE = "control-plane"
    WORKER = "worker"

    @classmethod
    def parse(cls, value: str) -> Role:
        """Map the ``role`` option to a Role; "" means control plane."""
        return cls(value or cls.CONTROL_PLANE.value)


@dataclass(frozen=True)
class CharmConfig:
    """The charm's options, as declared in charmcraft.yaml."""

    role: str = ""
    channel: str = ""
    containerd_http_proxy: str = ""
    containerd_https_proxy: str = ""
    containerd_no_proxy: str = ""
    containerd_custom_registries: str = "[]"
    extra_sans: str = UNIT_ADDRESS
    automatic_certificate_reissue: bool = True
    hostpath_storage: bool = False
    rbac: bool = False
    manage_etc_hosts: bool = False

    def __post_init__(self) -> None:
        _check("role", self.role in ("", *(r.value for r in Role)), "not a known role")
        _check("channel", bool(_CHANNEL.match(self.channel)), "not a snap channel")
        for name in ("containerd_http_proxy", "containerd_https_proxy"):
            value = getattr(self, name)
            _check(name, not value or bool(urlparse(value).netloc), "not a proxy URL")
        _check("extra_sans", all(_SAN.match(s) for s in self.sans("")), "not a SAN list")
        try:
            containerd.parse_registries(self.containerd_custom_registries)
        except ValueError as e:
            raise ValueError(f"invalid containerd_custom_registries: {e}") from e

    @property
    def registries(self) -> list[containerd.Registry]:
        """The parsed custom registries."""
        return containerd.parse_registries(self.containerd_custom_registries)

    def sans(self, unit_address: str) -> list[str]:
        """The extra SANs, with the unit-address placeholder replaced."""
        items = [s.strip() for s in self.extra_sans.split(",") if s.strip()]
        return [
            unit_address if s == UNIT_ADDRESS else s
            for s in items
            if s != UNIT_ADDRESS or unit_address
        ]

    def addons(self) -> dict[str, bool]:
        """The MicroK8s addons the options switch on or off."""
        return {"hostpath-storage": self.hostpath_storage, "rbac": self.rbac}


def _check(option: str, ok: bool, reason: str) -> None:
    """Raise ValueError naming ``option`` unless ``ok``."""
    if not ok:
        raise ValueError(f"invalid {option}: {reason}")
