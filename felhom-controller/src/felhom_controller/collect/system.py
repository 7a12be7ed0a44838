"""System metrics through psutil: CPU, load, memory, swap, uptime, OS and kernel."""

import platform
import time
from pathlib import Path
from typing import Any

import psutil


def os_name(os_release: Path = Path("/etc/os-release")) -> str:
    """PRETTY_NAME from os-release, else the platform's system name."""
    try:
        for line in os_release.read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "PRETTY_NAME" and value:
                return value.strip().strip('"')
    except OSError:
        pass
    return platform.system()


_primed = False


def cpu_percent() -> float:
    """CPU use since the previous call; the first call samples for a tenth of a second."""
    global _primed
    value = psutil.cpu_percent(interval=None if _primed else 0.1)
    _primed = True
    return min(100.0, max(0.0, value))


def collect_system(now: float | None = None) -> dict[str, Any]:
    """The report's ``system`` object (every field present; all from this machine)."""
    memory = psutil.virtual_memory()
    swap = psutil.swap_memory()
    now = time.time() if now is None else now
    return {
        "cpu_percent": cpu_percent(),
        "load_average": [round(value, 2) for value in psutil.getloadavg()],
        "memory_total_bytes": memory.total,
        "memory_used_bytes": memory.total - memory.available,
        "swap_total_bytes": swap.total,
        "swap_used_bytes": swap.used,
        "uptime_seconds": max(0, int(now - psutil.boot_time())),
        "os": os_name()[:255],
        "kernel": platform.release()[:255],
    }
