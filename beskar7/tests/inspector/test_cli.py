"""`beskar7-inspector` as a command: flags, exit codes, output, and its standard-library diet."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import beskar7.inspector
from beskar7.inspector.cli import main
from tests.inspector.doubles import (
    TOKEN,
    TREES,
    ApiServer,
    CmdlineFor,
    FakeBin,
    expected_report,
    tree,
)

SRC = Path(beskar7.inspector.__file__).parents[2]


def capacity_bytes(capacity: str) -> int:
    match = re.fullmatch(r"([0-9]+)(MiB|GiB)", capacity)
    assert match, capacity
    return int(match.group(1)) * (2**20 if match.group(2) == "MiB" else 2**30)


def test_dry_run_on_this_machine(
    cmdline_for: CmdlineFor, api: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--dry-run", "--cmdline", cmdline_for()]) == 0
    out, err = capsys.readouterr()
    printed = json.loads(out)
    report = printed["report"]
    assert report["bootModeDetected"] in ("UEFI", "Legacy")
    assert len(report["cpus"]) >= 1
    assert all(cpu["cores"] >= 1 and cpu["threads"] >= cpu["cores"] for cpu in report["cpus"])
    assert sum(capacity_bytes(entry["capacity"]) for entry in report["memory"]) > 0
    for disk in report["disks"]:
        assert disk["type"] in ("HDD", "SSD", "NVMe") and disk["name"].startswith("/dev/")
    for nic in report["nics"]:
        assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", nic["macAddress"]), nic
    assert len(printed["plan"]) >= 5
    assert api.requests == []
    assert TOKEN not in out + err


def test_dry_run_reads_the_command_line_under_root(
    fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_bin.record("server", "dmidecode", "ip")
    monkeypatch.setenv("PATH", fake_bin.path)
    assert main(["--dry-run", "--root", str(tree("server"))]) == 0
    out, _ = capsys.readouterr()
    printed = json.loads(out)
    assert printed["report"] == expected_report("server")
    assert printed["plan"][0].startswith(
        "POST http://192.0.2.1:8082/api/v1/inspection/default/r650-01 "
    )
    assert "recorded-token" not in out


def test_missing_parameters_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--cmdline", "console=ttyS0 beskar7.api=http://10.0.2.2:8082"]) == 2
    _, err = capsys.readouterr()
    assert "missing kernel parameter(s): beskar7.token, beskar7.namespace" in err


def test_dry_run_without_parameters_still_prints_the_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["--dry-run", "--root", str(tree("vm")), "--cmdline", "quiet"]) == 2
    out, err = capsys.readouterr()
    printed = json.loads(out)
    assert printed["report"]["cpus"] == expected_report("vm")["cpus"]
    assert printed["error"].startswith("missing kernel parameter(s)")
    assert "missing kernel parameter(s)" in err


def test_unreadable_command_line_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--cmdline-file", str(tmp_path / "absent")]) == 2
    assert "cannot read the kernel command line" in capsys.readouterr().err


def test_skip_kexec_from_a_command_line_file(
    api: ApiServer,
    cmdline_for: CmdlineFor,
    fake_bin: FakeBin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api.route("POST", "/api/v1/inspection/default/vm-01", (202, b""))
    api.route(
        "POST",
        "/api/v1/handoff/default/vm-01",
        (200, b'{"seedURL": "http://10.0.2.2:8082/api/v1/seed/default/vm-01/s/"}'),
    )
    api.route("GET", "/images/vmlinuz", (200, b"KERNEL"))
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(cmdline_for("/images/vmlinuz", debug="true") + "\n")
    fake_bin.kexec()
    monkeypatch.setenv("PATH", fake_bin.path)
    state = tmp_path / "state"
    argv = ["--root", str(tree("vm")), "--cmdline-file", str(cmdline), "--state-dir", str(state)]

    assert main([*argv, "--skip-kexec"]) == 0

    out, err = capsys.readouterr()
    assert out.startswith(f"kexec --load {state}/target/kernel --command-line 'console=ttyS0")
    assert "beskar7.seed=http://10.0.2.2:8082/api/v1/seed/default/vm-01/s/" in out
    assert "beskar7.token" not in out
    assert "DEBUG" in err and "booted from the NIC with MAC 52:54:00:12:34:56" in err
    assert TOKEN not in out + err
    assert fake_bin.kexec_calls() == []
    assert not (state / "bootstrap-data").exists()


def test_help_documents_parameters_and_exit_codes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "beskar7.inspector", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    for text in ("beskar7.target-initrd=URL", "--skip-kexec", "--once", "5 target download"):
        assert text in done.stdout


def _debian_python() -> str:
    system = shutil.which("python3", path="/usr/bin")
    if system is None:
        return sys.executable
    version = subprocess.run(
        [system, "-c", "import sys; print(sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return system if version.stdout.strip() == "True" else sys.executable


ISOLATED = """
import json, sys
sys.path.insert(0, {src!r})
from beskar7.inspector.cli import main
code = main(sys.argv[1:])
foreign = sorted(
    name for name in sys.modules
    if name.split(".")[0] not in (*sys.stdlib_module_names, "beskar7", "__main__")
)
sys.stderr.write("FOREIGN=" + json.dumps(foreign) + "\\n")
sys.exit(code)
"""


def test_runs_on_a_bare_python_with_the_standard_library_only(
    cmdline_for: CmdlineFor, tmp_path: Path
) -> None:
    """Isolated mode, no site-packages: what the initramfs has. Imports only stdlib + itself."""
    done = subprocess.run(
        [_debian_python(), "-I", "-S", "-c", ISOLATED.format(src=str(SRC)),
         "--dry-run", "--root", str(tree("vm")), "--cmdline", cmdline_for()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["report"]
    assert report["nics"][0]["ipAddresses"] == []  # no ip command on that PATH
    assert {**report, "nics": []} == {**expected_report("vm"), "nics": []}
    assert "FOREIGN=[]" in done.stderr
    assert not os.path.exists(tmp_path / "state")


def test_a_full_skip_kexec_run_on_the_bare_python(
    api: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path
) -> None:
    """The network path too works on the interpreter the image has (no site-packages)."""
    api.route("POST", "/api/v1/inspection/default/vm-01", (503, b""), (202, b""))
    api.route(
        "POST",
        "/api/v1/handoff/default/vm-01",
        (200, b'{"seedURL": "http://10.0.2.2:8082/api/v1/seed/default/vm-01/s/"}'),
    )
    api.route("GET", "/images/target.tar.gz", (200, (TREES / "target.tar.gz").read_bytes()))
    state = tmp_path / "state"
    done = subprocess.run(
        [_debian_python(), "-I", "-S", "-c", ISOLATED.format(src=str(SRC)), "--skip-kexec",
         "--root", str(tree("vm")), "--cmdline", cmdline_for(), "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"kexec --load {state.resolve()}/target/tree/boot/vmlinuz")
    assert "FOREIGN=[]" in done.stderr and TOKEN not in done.stdout + done.stderr
    assert len(api.requests) == 4
