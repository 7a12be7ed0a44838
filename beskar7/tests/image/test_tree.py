"""Assembling an image tree from a sysroot: symlink chains and the ELF library closure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from beskar7.image.tree import Tree, TreeError
from tests.image import elfgen

INTERP = "/lib64/ld-linux-x86-64.so.2"


def _sysroot(root: Path) -> Path:
    libs = root / "lib/x86_64-linux-gnu"
    libs.mkdir(parents=True)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/lib/x86_64-linux-gnu").mkdir(parents=True)
    (root / "lib64").mkdir()
    (libs / "ld-linux-x86-64.so.2").write_bytes(elfgen.executable(None, []))
    os.symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", root / "lib64/ld-linux-x86-64.so.2")
    (libs / "libc.so.6").write_bytes(elfgen.executable(None, []))
    (libs / "libz.so.1.2.13").write_bytes(elfgen.executable(None, ["libc.so.6"]))
    os.symlink("libz.so.1.2.13", libs / "libz.so.1")
    usr_libs = root / "usr/lib/x86_64-linux-gnu"
    (usr_libs / "libexpat.so.1").write_bytes(elfgen.executable(None, ["libc.so.6"]))
    tool = root / "usr/bin/python3.11"
    tool.write_bytes(elfgen.executable(INTERP, ["libz.so.1", "libexpat.so.1", "libc.so.6"]))
    tool.chmod(0o755)
    (root / "usr/bin/missing").write_bytes(elfgen.executable(INTERP, ["libnope.so.1"]))
    return root


def test_elf_closure_follows_symlinks(tmp_path: Path) -> None:
    tree = Tree(_sysroot(tmp_path))
    tree.add_elf("usr/bin/python3.11")
    kinds = {entry.path: entry.kind for entry in tree}
    assert kinds["usr/bin/python3.11"] == "file"
    assert kinds["lib64/ld-linux-x86-64.so.2"] == "symlink"
    assert kinds["lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"] == "file"
    assert kinds["lib/x86_64-linux-gnu/libz.so.1"] == "symlink"
    assert kinds["lib/x86_64-linux-gnu/libz.so.1.2.13"] == "file"
    assert kinds["usr/lib/x86_64-linux-gnu/libexpat.so.1"] == "file"
    assert kinds["lib/x86_64-linux-gnu/libc.so.6"] == "file"
    assert kinds["usr"] == kinds["usr/bin"] == "dir"
    assert tree.entries["usr/bin/python3.11"].mode & 0o777 == 0o755


def test_missing_library_fails_the_build(tmp_path: Path) -> None:
    tree = Tree(_sysroot(tmp_path))
    with pytest.raises(TreeError, match=r"library libnope.so.1 is not in the sysroot"):
        tree.add_elf("usr/bin/missing")
    with pytest.raises(TreeError, match="not in the sysroot"):
        tree.add_from("usr/bin/nothing")


def test_paths_are_normalised_and_contained() -> None:
    tree = Tree()
    tree.add_file("/etc/../etc/./hosts", b"127.0.0.1 localhost\n")
    tree.add_symlink("bin/sh", "busybox")
    assert "etc/hosts" in tree and "/bin/sh" in tree
    tree.add_file("../../escape", b"")
    assert "escape" in tree
    assert tree.size() == len(b"127.0.0.1 localhost\n")
    with pytest.raises(TreeError, match="no sysroot"):
        tree.source("bin/sh")
