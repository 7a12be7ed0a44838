"""Hardware requirements arithmetic: the reference's golden numbers, units, bad capacities."""

import pytest

from beskar7.api.machine import HardwareRequirements
from beskar7.api.physicalhost import InspectionReport
from beskar7.controllers.machine.requirements import (
    CapacityError,
    Totals,
    check,
    memory_capacity_gb,
    totals,
)
from tests.fixtures.machines import GOLDEN_REPORT

GOLDEN = InspectionReport.model_validate(GOLDEN_REPORT)


def test_the_golden_report_adds_up_to_64_cores_136_gb_and_1920_gb() -> None:
    assert totals(GOLDEN) == Totals(cpu_cores=64, memory_gb=136, disk_gb=1920)


@pytest.mark.parametrize(
    ("capacity", "gb"),
    [
        ("32GiB", 34),  # 34,359,738,368 bytes
        ("32GB", 32),
        ("16384MiB", 17),
        ("16000MB", 16),
        ("512MB", 0),
        ("1TB", 1000),
        ("1TiB", 1099),
        ("0.5TB", 500),
        (" 32 GiB ", 34),
    ],
)
def test_a_capacity_with_a_unit_is_truncated_decimal_gb(capacity: str, gb: int) -> None:
    assert memory_capacity_gb(capacity) == gb


@pytest.mark.parametrize(
    "capacity", ["32", "32768", "", "GiB", "32 XB", "32gib", "64Gb", "-1GB", "3,2GB"]
)
def test_a_capacity_without_a_known_unit_is_rejected(capacity: str) -> None:
    with pytest.raises(CapacityError):
        memory_capacity_gb(capacity)


def test_memory_is_truncated_per_dimm_not_on_the_sum() -> None:
    report = InspectionReport.model_validate({"memory": [{"capacity": "1.5GB"}] * 2})
    assert totals(report).memory_gb == 2  # 1 + 1, not int(3.0)


def test_a_dimm_without_capacity_cannot_be_counted() -> None:
    report = InspectionReport.model_validate({"memory": [{"id": "DIMM0"}]})
    with pytest.raises(CapacityError, match="DIMM0"):
        totals(report)


@pytest.mark.parametrize(
    ("requirements", "ok", "named"),
    [
        (None, True, []),
        ({}, True, []),
        ({"minCPUCores": 64, "minMemoryGB": 136, "minDiskGB": 1920}, True, []),
        ({"minCPUCores": 65}, False, ["CPU cores: need at least 65, found 64"]),
        ({"minMemoryGB": 137}, False, ["memory: need at least 137 GB, found 136 GB"]),
        ({"minDiskGB": 2000}, False, ["disk: need at least 2000 GB, found 1920 GB"]),
        (
            {"minCPUCores": 128, "minMemoryGB": 8, "minDiskGB": 4000},
            False,
            ["CPU cores: need at least 128", "disk: need at least 4000 GB"],
        ),
    ],
)
def test_check_names_what_is_short(
    requirements: dict[str, int] | None, ok: bool, named: list[str]
) -> None:
    wanted = None if requirements is None else HardwareRequirements.model_validate(requirements)
    verdict = check(wanted, GOLDEN)
    assert verdict.ok is ok
    for part in named:
        assert part in verdict.message
    if not ok:
        assert verdict.message.startswith("hardware requirements not met")
        assert "memory" not in verdict.message or "memory" in " ".join(named)


def test_a_bare_number_fails_a_memory_requirement_but_not_the_others() -> None:
    bare = InspectionReport.model_validate({**GOLDEN_REPORT, "memory": [{"capacity": "32768"}]})
    memory = check(HardwareRequirements(min_memory_gb=8), bare)
    assert not memory.ok and '"32768"' in memory.message
    cores = check(HardwareRequirements(min_cpu_cores=64), bare)
    assert cores.ok
