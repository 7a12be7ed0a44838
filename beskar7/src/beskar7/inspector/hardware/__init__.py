"""Hardware collectors: each reads under a root directory, so tests run on recorded trees."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from beskar7.inspector.hardware.cpus import cpus
from beskar7.inspector.hardware.disks import disks
from beskar7.inspector.hardware.memory import memory
from beskar7.inspector.hardware.nics import nics
from beskar7.inspector.hardware.sources import Sources
from beskar7.inspector.hardware.system import boot_mode, identity

log = logging.getLogger(__name__)

Collector = Callable[[Sources], list[dict[str, object]]]
_SECTIONS: tuple[tuple[str, Collector], ...] = (
    ("cpus", cpus),
    ("memory", memory),
    ("disks", disks),
    ("nics", nics),
)


def collect(root: Path = Path("/"), *, path: str | None = None) -> dict[str, object]:
    """The inspection report (upstream field names) of the machine under `root`.

    `path` is the PATH searched for dmidecode, lsblk and ip (None: the environment's); each is
    optional. Missing files and commands leave fields out, they are never errors.
    """
    sources = Sources(root=Path(root), path=path)
    system = identity(sources)
    report: dict[str, object] = {
        key: system[key] for key in ("manufacturer", "model", "serialNumber") if key in system
    }
    report["bootModeDetected"] = boot_mode(sources)
    if "firmwareVersion" in system:
        report["firmwareVersion"] = system["firmwareVersion"]
    sections = {name: _guarded(name, collector, sources) for name, collector in _SECTIONS}
    report.update(sections)
    log.debug("collected %s", ", ".join(f"{len(v)} {k}" for k, v in sections.items()))
    return report


def _guarded(name: str, collector: Collector, sources: Sources) -> list[dict[str, object]]:
    """One odd machine must not cost the whole report: a failing collector gives []."""
    try:
        return collector(sources)
    except Exception as exc:
        log.warning("collecting %s failed: %s: %s", name, type(exc).__name__, exc)
        return []


__all__ = ["Sources", "collect"]
