"""The newc writer: read back by our reader and, when installed, by GNU cpio."""

from __future__ import annotations

import gzip
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from beskar7.image import cpio
from beskar7.image.tree import Entry, Tree


def _tree() -> Tree:
    tree = Tree()
    tree.add_file("init", b"#!/bin/sh\nexec sh\n", 0o755)
    tree.add_file("usr/lib/python3.11/os.py", b"x" * 1001)
    tree.add_symlink("bin/sh", "busybox")
    tree.add_file("bin/busybox", b"\x7fELF" + b"\0" * 7, 0o755)
    tree.add_dir("tmp", 0o1777)
    tree.add_file("empty", b"")
    return tree


def test_round_trip() -> None:
    tree = _tree()
    archive = cpio.write(tree)
    assert len(archive) % 4 == 0
    assert b"TRAILER!!!\0" in archive[-128:]
    entries = cpio.read(archive)
    assert entries == list(tree)
    by_path = {entry.path: entry for entry in entries}
    assert by_path["bin/sh"] == Entry("bin/sh", stat.S_IFLNK | 0o777, b"busybox")
    assert stat.S_IMODE(by_path["tmp"].mode) == 0o1777
    assert stat.S_ISDIR(by_path["usr/lib"].mode)


def test_directories_come_first_and_output_is_deterministic() -> None:
    paths = [entry.path for entry in _tree()]
    for index, path in enumerate(paths):
        parent = path.rpartition("/")[0]
        assert not parent or parent in paths[:index]
    first = cpio.compress(cpio.write(_tree()))
    assert first == cpio.compress(cpio.write(_tree()))
    assert cpio.read(first) == list(_tree())
    assert gzip.decompress(first)[:6] == b"070701"


@pytest.mark.skipif(shutil.which("cpio") is None, reason="GNU cpio not installed")
def test_gnu_cpio_lists_and_extracts(tmp_path: Path) -> None:
    archive = cpio.write(_tree())
    listed = subprocess.run(
        ["cpio", "-t", "--quiet"], input=archive, capture_output=True, timeout=30, check=True
    )
    assert listed.stdout.decode().split() == [entry.path for entry in _tree()]
    subprocess.run(
        ["cpio", "-id", "--quiet", "--no-absolute-filenames"],
        input=archive, cwd=tmp_path, capture_output=True, timeout=30, check=True,
    )  # fmt: skip
    assert (tmp_path / "init").read_bytes() == b"#!/bin/sh\nexec sh\n"
    assert (tmp_path / "bin/sh").readlink() == Path("busybox")


def test_reader_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="no newc header"):
        cpio.read(b"070707" + b"0" * 200)
