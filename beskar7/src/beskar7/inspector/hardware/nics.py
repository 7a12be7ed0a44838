"""NICs: physical interfaces from /sys/class/net, addresses from `ip` (JSON or text output)."""

from __future__ import annotations

import json

from beskar7.inspector.hardware.sources import Sources, compact


def nics(sources: Sources) -> list[dict[str, object]]:
    """[{name, macAddress, driver, speed, ipAddresses}] for interfaces backed by a device."""
    addresses = interface_addresses(sources)
    found = []
    for name in sources.listdir("sys/class/net"):
        base = f"sys/class/net/{name}"
        if name == "lo" or not sources.exists(f"{base}/device"):
            continue
        entry = compact(
            {
                "name": name,
                "macAddress": (sources.read(f"{base}/address") or "").lower(),
                "driver": _driver(sources, base),
                "speed": speed(sources.read(f"{base}/speed")),
            }
        )
        entry["ipAddresses"] = addresses.get(name, [])
        found.append(entry)
    return found


def speed(megabits: str | None) -> str | None:
    """sysfs speed in Mb/s -> `1000Mbps` / `10Gbps`; None when unknown (link down: -1)."""
    try:
        value = int(megabits or "")
    except ValueError:
        return None
    if value <= 0:
        return None
    if value >= 10000 and value % 1000 == 0:
        return f"{value // 1000}Gbps"
    return f"{value}Mbps"


def interface_addresses(sources: Sources) -> dict[str, list[str]]:
    """Interface name -> its addresses (no prefix length), host-scope ones left out."""
    parsed = parse_ip_json(sources.run("ip", "-j", "addr", "show"))
    if parsed is None:
        # busybox's ip has no -j; its text output matches iproute2's.
        parsed = parse_ip_text(sources.run("ip", "addr", "show") or "")
    return parsed


def parse_ip_json(output: str | None) -> dict[str, list[str]] | None:
    try:
        interfaces = json.loads(output or "")
    except ValueError:
        return None
    if not isinstance(interfaces, list):
        return None
    found: dict[str, list[str]] = {}
    for interface in interfaces:
        if not isinstance(interface, dict) or "ifname" not in interface:
            continue
        found[str(interface["ifname"])] = [
            str(info["local"])
            for info in interface.get("addr_info", [])
            if info.get("local") and info.get("scope") != "host"
        ]
    return found


def parse_ip_text(output: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        words = line.split()
        if not words:
            continue
        if not line[0].isspace() and words[0].rstrip(":").isdigit() and len(words) > 1:
            current = found.setdefault(words[1].rstrip(":").split("@")[0], [])
        elif current is not None and _is_address(words):
            current.append(words[1].split("/")[0])
    return found


def _is_address(words: list[str]) -> bool:
    """An `inet`/`inet6` line of `ip addr` output, not of host scope (loopback)."""
    scope = words[words.index("scope") + 1] if "scope" in words[:-1] else ""
    return words[0] in ("inet", "inet6") and len(words) > 1 and scope != "host"


def _driver(sources: Sources, base: str) -> str | None:
    for line in (sources.read(f"{base}/device/uevent") or "").splitlines():
        key, _, value = line.partition("=")
        if key == "DRIVER" and value:
            return value
    return sources.readlink_name(f"{base}/device/driver")
