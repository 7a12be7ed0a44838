"""ELF reading: interpreter and DT_NEEDED of executables, sections of modules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from beskar7.image import elf, kmods
from tests.image import elfgen


def test_synthetic_executable() -> None:
    blob = elfgen.executable("/lib64/ld-linux-x86-64.so.2", ["libz.so.1", "libc.so.6"])
    info = elf.parse(blob)
    assert info.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert info.needed == ("libz.so.1", "libc.so.6")


def test_static_executable_has_no_needs() -> None:
    assert elf.parse(elfgen.executable(None, [])) == elf.ElfInfo(None, ())


def test_not_elf(tmp_path: Path) -> None:
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\n")
    assert not elf.is_elf(script)
    with pytest.raises(ValueError, match="not a 64-bit"):
        elf.parse(b"#!/bin/sh\n" + b"\0" * 64)


@pytest.mark.skipif(shutil.which("readelf") is None, reason="readelf (binutils) not installed")
def test_agrees_with_readelf_on_this_python() -> None:
    python = Path(sys.executable).resolve()
    done = subprocess.run(
        ["readelf", "-d", str(python)], capture_output=True, text=True, timeout=30, check=True
    )
    expected = [
        line.split("[")[1].rstrip("]") for line in done.stdout.splitlines() if "(NEEDED)" in line
    ]
    assert list(elf.read(python).needed) == expected


def test_module_sections_and_modinfo() -> None:
    blob = elfgen.module({"license": "GPL", "depends": "virtio,virtio-ring", "name": "virtio_net"})
    assert elf.section(blob, ".nothing") is None
    assert kmods.modinfo(blob)["depends"] == "virtio,virtio-ring"
