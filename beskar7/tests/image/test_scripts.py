"""The initramfs shell helpers (common.sh), run by a real shell: the image's busybox when the
image is built, else /bin/sh."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from beskar7.image.build import INPUTS
from beskar7.image.tree import Entry

COMMON = INPUTS / "common.sh"
CMDLINE = (
    "console=ttyS0 beskar7.api=http://10.0.2.2:8082 beskar7.token=s3cr3t beskar7.host=vm-0 "
    'beskar7.config="http://10.0.2.2:8082/config" BOOTIF=01-52-54-00-AB-CD-EF'
)


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> list[str]:
    from tests.image.built import BUILT

    if BUILT:
        entries: dict[str, Entry] = request.getfixturevalue("initrd_entries")
        busybox = tmp_path_factory.mktemp("busybox") / "busybox"
        busybox.write_bytes(entries["bin/busybox"].data)
        busybox.chmod(0o755)
        return [str(busybox), "sh"]
    found = shutil.which("sh")
    if found is None:
        pytest.skip("no shell")
    return [found]


def _run(shell: list[str], tmp_path: Path, snippet: str) -> subprocess.CompletedProcess[str]:
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(CMDLINE + "\n")
    script = f'B7_CMDLINE="{cmdline}"\n. "{COMMON}"\n{snippet}\n'
    return subprocess.run(
        [*shell, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )


def test_param(shell: list[str], tmp_path: Path) -> None:
    done = _run(shell, tmp_path, "param beskar7.api; param beskar7.config; param beskar7.nope")
    assert done.stdout.split() == ["http://10.0.2.2:8082", "http://10.0.2.2:8082/config"]
    assert done.returncode == 1


def test_bootif_mac(shell: list[str], tmp_path: Path) -> None:
    assert _run(shell, tmp_path, "bootif_mac").stdout.strip() == "52:54:00:ab:cd:ef"


def test_redacted_cmdline(shell: list[str], tmp_path: Path) -> None:
    shown = _run(shell, tmp_path, "redacted_cmdline").stdout
    assert "s3cr3t" not in shown
    assert "beskar7.token=<redacted> beskar7.host=vm-0" in shown


def test_log_prefix(shell: list[str], tmp_path: Path) -> None:
    done = _run(shell, tmp_path, "B7_TAG=beskar7-target; log hello")
    assert done.stdout.startswith("beskar7-target: [") and done.stdout.rstrip().endswith("] hello")
