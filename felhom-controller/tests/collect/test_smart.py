"""SMART verdicts: recorded smartctl answers, the real smartctl on this machine, and none."""

import json
import shutil
from pathlib import Path
from typing import Any

import psutil
import pytest

from felhom_controller.collect import smart
from felhom_controller.collect.smart import annotate, disk_of, scanned, smart_verdicts, verdict

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads((RECORDED / name).read_text())
    return answer


def test_recorded_answers() -> None:
    assert scanned(recorded("smartctl-scan.json")) == ["/dev/sda", "/dev/sdb", "/dev/nvme0"]
    assert verdict(recorded("smartctl-passed.json")) == "passed"
    assert verdict(recorded("smartctl-failed.json")) == "failed"
    assert verdict(recorded("smartctl-unsupported.json")) == "unknown"


def test_partitions_map_to_their_disks() -> None:
    assert disk_of("/dev/sdb1") == "/dev/sdb"
    assert disk_of("/dev/nvme0n1p2") == "/dev/nvme0n1"
    assert disk_of("/dev/mmcblk0p1") == "/dev/mmcblk0"
    assert disk_of("/dev/vda") == "/dev/vda"


def test_mounts_get_their_disks_verdict() -> None:
    storage = [{"device": "/dev/sdb1"}, {"device": "/dev/sdc1"}, {"device": "server:/export"}]
    annotate(storage, {"/dev/sdb": "failed"})
    assert [m.get("smart_status") for m in storage] == ["failed", "unknown", None]


@pytest.mark.skipif(shutil.which("smartctl") is None, reason="smartmontools not installed")
def test_the_real_smartctl_answers_for_the_root_disk() -> None:
    root = next(p for p in psutil.disk_partitions() if p.mountpoint == "/")
    answer = smart._smartctl(["-H", disk_of(root.device)], timeout=30)
    assert answer["smartctl"]["argv"][-1] == disk_of(root.device)
    assert verdict(answer) in ("passed", "failed", "unknown")
    assert isinstance(smart_verdicts(timeout=30), dict)


def test_without_smartctl_there_are_no_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert smart_verdicts(timeout=5) == {}
