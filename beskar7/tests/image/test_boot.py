"""The real thing: the inspection image boots under qemu (TCG), reports the VM's hardware to a
loopback callback API, downloads the target OS and kexecs into it; the target's /init reports
`provisioned`. Needs qemu-system-x86_64 and an image built with `make image`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.image.callback import CallbackServer

REPO = Path(__file__).resolve().parents[3]
IMAGE = Path(os.environ.get("BESKAR7_IMAGE", REPO / "build" / "image"))
QEMU = shutil.which("qemu-system-x86_64")
MAC = "52:54:00:12:34:56"
TOKEN = "test-token-0123456789abcdef"
BOOT_TIMEOUT = 420.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(BOOT_TIMEOUT + 60),
    pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed"),
    pytest.mark.skipif(
        not all((IMAGE / name).is_file() for name in ("vmlinuz", "initrd.img", "target.tar.gz")),
        reason=f"no inspection image in {IMAGE} (build it with `make image`)",
    ),
]


def _cmdline(port: int) -> str:
    api = f"http://10.0.2.2:{port}"
    return " ".join(
        [
            "console=ttyS0",
            f"beskar7.api={api}",
            f"beskar7.token={TOKEN}",
            "beskar7.namespace=default",
            "beskar7.host=vm-0",
            f"beskar7.target={api}/target.tar.gz",
            "beskar7.os=kairos",
            "beskar7.timeout=300",
            "BOOTIF=01-" + MAC.replace(":", "-"),
        ]
    )


def _qemu(port: int, disk: Path, serial: Path) -> list[str]:
    assert QEMU is not None
    return [
        QEMU, "-accel", "tcg", "-m", "512", "-smp", "1", "-nographic", "-monitor", "none",
        "-kernel", str(IMAGE / "vmlinuz"), "-initrd", str(IMAGE / "initrd.img"),
        "-append", _cmdline(port),
        "-netdev", "user,id=n0", "-device", f"virtio-net-pci,netdev=n0,mac={MAC}",
        "-drive", f"file={disk},if=virtio,format=raw",
        "-serial", f"file:{serial}", "-no-reboot",
    ]  # fmt: skip


def _boot(server: CallbackServer, tmp_path: Path) -> tuple[int, float, float, str]:
    disk, serial = tmp_path / "disk.raw", tmp_path / "serial.log"
    with disk.open("wb") as handle:
        handle.truncate(1024**3)
    started = time.monotonic()
    process = subprocess.Popen(
        _qemu(server.port, disk, serial), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _, _ = process.communicate(timeout=BOOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
    ended = time.monotonic()
    log = serial.read_text(errors="replace") if serial.exists() else ""
    return process.returncode, started, ended, log


def _mib(capacity: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(MiB|GiB|MB|GB)", capacity)
    assert match, capacity
    factor = {"MiB": 1, "GiB": 1024, "MB": 1e6 / 2**20, "GB": 1e9 / 2**20}[match.group(2)]
    return float(match.group(1)) * factor


def _check_report(server: CallbackServer) -> None:
    report = server.report()
    assert sum(int(cpu.get("threads", cpu.get("cores", 0))) for cpu in report["cpus"]) >= 1
    memory = sum(_mib(str(dimm["capacity"])) for dimm in report["memory"])
    assert 400 <= memory <= 512, report["memory"]
    disks = {disk["name"]: disk for disk in report["disks"]}
    assert disks["/dev/vda"]["sizeGB"] == 1, disks
    assert MAC in [nic["macAddress"] for nic in report["nics"]], report["nics"]


def _said(log: str, tag: str, text: str) -> bool:
    return any(line.startswith(f"{tag}: ") and text in line for line in log.splitlines())


def test_inspect_kexec_provision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], record_property: Any
) -> None:
    with CallbackServer(IMAGE / "target.tar.gz", TOKEN) as server:
        code, started, ended, log = _boot(server, tmp_path)
        tail = "\n".join(log.splitlines()[-60:])
        assert code == 0, f"qemu exit {code} (timeout?); serial log tail:\n{tail}"
        try:
            _check_report(server)
            assert server.requests("POST", server.api % "handoff"), "no go-ahead request"
            assert server.requests("GET", "/target.tar.gz"), "target not downloaded"
            assert "running kexec --exec" in log
            assert log.count("Linux version") >= 2, "no second kernel boot after kexec"
            seed = f"http://10.0.2.2:{server.port}{server.seed}"
            config = f"config parameter: config_url={seed}user-data"
            assert _said(log, "beskar7-target", config), "target /init did not see config_url"
            assert _said(log, "beskar7-target", "user-data checked: beskar7-e2e=image-boot")
            assert _said(log, "beskar7-target", "second user-data fetch refused")
            assert len(server.requests("GET", server.seed + "user-data")) == 2
            assert _said(log, "beskar7-target", "provisioned reported")
            provisioned = server.requests("POST", server.api % "provisioned")
            assert provisioned and provisioned[0].authorized, "provisioned not reported"
            assert not server.requests("POST", server.api % "provision-failed")
            ours = [line for line in log.splitlines() if not line.startswith("[")]
            assert not [line for line in ours if TOKEN in line], "token on the console"
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nserial log tail:\n{tail}") from None
        report_at = server.requests("POST", server.api % "inspection")[0].at
        timings = {
            "qemu_start_to_report_s": round(report_at - started, 1),
            "report_to_provisioned_s": round(provisioned[0].at - report_at, 1),
            "total_s": round(ended - started, 1),
        }
        record_property("boot_timings", timings)
        with capsys.disabled():
            sys.stdout.write(f"\nbeskar7 real boot timings: {timings}\n")


def test_failure_reports_and_powers_off(tmp_path: Path) -> None:
    """A refused hand-off: the inspector reports provision-failed, /init powers the VM off."""
    with CallbackServer(IMAGE / "target.tar.gz", TOKEN, go_ahead=403) as server:
        code, _, ended, log = _boot(server, tmp_path)
        tail = "\n".join(log.splitlines()[-30:])
        assert code == 0, f"qemu exit {code} (timeout?); serial log tail:\n{tail}"
        failed = server.requests("POST", server.api % "provision-failed")
        assert failed and b"403" in failed[0].body, tail
        assert not server.requests("GET", "/target.tar.gz")
        assert _said(log, "beskar7-init", "inspector exited with code 4"), tail
        assert _said(log, "beskar7-init", "powering off in 30s"), tail
        assert "reboot: Power down" in log
        assert ended - failed[0].at >= 30
