"""SMART health through ``smartctl --json``: the verdict of each disk behind a mount.

``smartctl --json --scan`` lists the disks, ``smartctl --json -H DEVICE`` gives each verdict:
``passed``, ``failed``, or ``unknown`` when the device has no SMART support (virtual disks) or
smartctl is missing. A mount's verdict is its disk's: /dev/sdb1 → /dev/sdb,
/dev/nvme0n1p2 → /dev/nvme0n1.
"""

import json
import logging
import re
import shutil
import subprocess
from typing import Any

log = logging.getLogger(__name__)
_PARTITION = re.compile(r"^(/dev/(?:nvme\d+n\d+|mmcblk\d+))p\d+$|^(/dev/[a-z]+)\d+$")


def verdict(answer: dict[str, Any]) -> str:
    """passed / failed / unknown from one ``smartctl --json -H`` answer."""
    status = answer.get("smart_status")
    if isinstance(status, dict) and "passed" in status:
        return "passed" if status["passed"] else "failed"
    return "unknown"


def scanned(answer: dict[str, Any]) -> list[str]:
    return [str(d["name"]) for d in answer.get("devices", []) if d.get("name")]


def disk_of(device: str) -> str:
    match = _PARTITION.match(device)
    if match is None:
        return device
    return match.group(1) or match.group(2)


def _smartctl(args: list[str], timeout: float) -> dict[str, Any]:
    smartctl = shutil.which("smartctl")
    if smartctl is None:
        raise FileNotFoundError("smartctl is not installed")
    done = subprocess.run(
        [smartctl, "--json", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    answer: dict[str, Any] = json.loads(done.stdout or "{}")
    return answer


def smart_verdicts(timeout: float) -> dict[str, str]:
    """Disk → verdict for every disk smartctl can see; empty without smartctl."""
    try:
        disks = scanned(_smartctl(["--scan"], timeout))
        return {disk: verdict(_smartctl(["-H", disk], timeout)) for disk in disks}
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.info("SMART not collected: %s", exc)
        return {}


def annotate(storage: list[dict[str, Any]], verdicts: dict[str, str]) -> None:
    """Set ``smart_status`` on each mount whose disk has a verdict (``unknown`` otherwise)."""
    for mount in storage:
        device = mount.get("device")
        if device and device.startswith("/dev/"):
            mount["smart_status"] = verdicts.get(disk_of(device), "unknown")
