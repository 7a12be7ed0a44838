"""Hardware requirements against an inspection report: pure arithmetic, no I/O.

The totals follow the upstream contract: CPU cores are summed over `cpus[]` (one entry per
socket); each DIMM's `capacity` must carry a unit (GB, GiB, MB, MiB, TB or TiB), is converted to
bytes and then to decimal GB truncated per DIMM ("32GiB" is 34 GB); disk sizes are the sum of
`disks[].sizeGB`. A capacity without a unit (a bare number) is rejected, never guessed.
"""

import re
from dataclasses import dataclass
from fractions import Fraction

from beskar7.api.machine import HardwareRequirements
from beskar7.api.physicalhost import InspectionReport

UNITS: dict[str, int] = {
    "GB": 10**9,
    "GiB": 2**30,
    "MB": 10**6,
    "MiB": 2**20,
    "TB": 10**12,
    "TiB": 2**40,
}
"""The units a capacity may carry, exactly so spelled (a "Gb" would be gigabits)."""
_CAPACITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_GB = 10**9


class CapacityError(ValueError):
    """A memory capacity that cannot be read (no unit, an unknown unit, not a number)."""


def memory_capacity_gb(capacity: str) -> int:
    """One DIMM's capacity in decimal GB, truncated: "32GiB" -> 34, "16384MiB" -> 17."""
    match = _CAPACITY.match(capacity)
    if match is None:
        raise CapacityError(
            f'memory capacity "{capacity}" is not a number with a unit (GB, GiB, MB, MiB, TB, TiB)'
        )
    number, unit = match.groups()
    factor = UNITS.get(unit)
    if factor is None:
        raise CapacityError(f'memory capacity "{capacity}" has an unknown unit "{unit}"')
    return int(Fraction(number) * factor // _GB)


@dataclass(frozen=True)
class Totals:
    cpu_cores: int
    memory_gb: int
    disk_gb: int


def totals(report: InspectionReport) -> Totals:
    """The report's aggregates; CapacityError when a DIMM's capacity cannot be read."""
    memory = 0
    for dimm in report.memory:
        if dimm.capacity is None:
            raise CapacityError(f"memory module {dimm.id or '?'} reports no capacity")
        memory += memory_capacity_gb(dimm.capacity)
    return Totals(
        cpu_cores=sum(cpu.cores or 0 for cpu in report.cpus),
        memory_gb=memory,
        disk_gb=sum(disk.size_gb or 0 for disk in report.disks),
    )


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    """What is short (or why the report could not be judged); empty when ok."""


def check(requirements: HardwareRequirements | None, report: InspectionReport) -> Verdict:
    """Whether the inspected hardware meets every requirement that is set."""
    if requirements is None:
        return Verdict(True, "")
    try:
        found = totals(report)
    except CapacityError as exc:
        if requirements.min_memory_gb is None:
            found = totals(report.model_copy(update={"memory": []}))
        else:
            return Verdict(False, f"cannot check memory: {exc}")
    short = [
        f"{what}: need at least {need}{unit}, found {have}{unit}"
        for what, need, have, unit in (
            ("CPU cores", requirements.min_cpu_cores, found.cpu_cores, ""),
            ("memory", requirements.min_memory_gb, found.memory_gb, " GB"),
            ("disk", requirements.min_disk_gb, found.disk_gb, " GB"),
        )
        if need is not None and have < need
    ]
    if short:
        return Verdict(False, "hardware requirements not met: " + "; ".join(short))
    return Verdict(True, "")
