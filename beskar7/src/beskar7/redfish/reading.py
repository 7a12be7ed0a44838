"""Reading Redfish JSON documents defensively: wrong types are protocol errors, not crashes."""

from __future__ import annotations

from typing import Any

from beskar7.redfish.errors import MalformedError
from beskar7.redfish.models import NetworkAddress, SystemInfo


def str_field(doc: Any, *path: str) -> str | None:
    """The string at `path` in `doc`; None if absent or null; protocol error if not a string."""
    cur = doc
    for key in path:
        if not isinstance(cur, dict):
            raise MalformedError(f"{'.'.join(path)} is not inside an object")
        cur = cur.get(key)
        if cur is None:
            return None
    if not isinstance(cur, str):
        raise MalformedError(f"{'.'.join(path)} is not a string")
    return cur


def system_info(doc: Any) -> SystemInfo:
    return SystemInfo(
        manufacturer=str_field(doc, "Manufacturer"),
        model=str_field(doc, "Model"),
        serial_number=str_field(doc, "SerialNumber"),
        health=str_field(doc, "Status", "Health"),
        health_rollup=(
            str_field(doc, "Status", "HealthRollup") or str_field(doc, "Status", "HealthRollUp")
        ),
        state=str_field(doc, "Status", "State"),
        power_state=str_field(doc, "PowerState"),
    )


def _listed(doc: Any, key: str) -> list[Any]:
    value = doc.get(key) if isinstance(doc, dict) else None
    return value if isinstance(value, list) else []


def interface_addresses(docs: list[Any]) -> list[NetworkAddress]:
    """Addresses of IPv4Addresses/IPv6Addresses, de-duplicated, in the BMC's order."""
    found: list[NetworkAddress] = []
    for doc in docs:
        for key in ("IPv4Addresses", "IPv6Addresses"):
            for entry in _listed(doc, key):
                text = entry.get("Address") if isinstance(entry, dict) else None
                addr = NetworkAddress.classify(text) if isinstance(text, str) else None
                if addr is not None and addr not in found:
                    found.append(addr)
    return found
