"""What `make image` produced: contents of the initrds, the target archive, the manifest, and
the image's own python running the inspector. Skipped when no image is built."""

from __future__ import annotations

import json
import posixpath
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from beskar7.image import cpio, elf, stage
from beskar7.image.tree import Entry, Tree
from tests.image.built import BUILT, IMAGE, NOT_BUILT

pytestmark = pytest.mark.skipif(not BUILT, reason=NOT_BUILT)
SITE = "usr/lib/python3/dist-packages/beskar7"


def _resolve(entries: dict[str, Entry], path: str) -> str:
    for _ in range(10):
        entry = entries[path]
        if entry.kind != "symlink":
            return path
        target = entry.data.decode()
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target)).lstrip("/")
    raise AssertionError(f"symlink loop at {path}")


def test_inspection_initrd_contents(initrd_entries: dict[str, Entry]) -> None:
    entries = initrd_entries
    assert stat.S_IMODE(entries["init"].mode) == 0o755
    for tool in ("bin/busybox", "sbin/kexec", "usr/sbin/dmidecode", "bin/lsblk", "usr/bin/python3"):
        assert entries[_resolve(entries, tool)].kind == "file", tool
    for applet in ("bin/sh", "sbin/udhcpc", "usr/bin/wget", "sbin/insmod", "sbin/poweroff"):
        assert entries[applet].kind == "symlink", applet
    assert f"{SITE}/inspector/__main__.py" in entries and f"{SITE}/__init__.py" in entries
    assert "etc/ssl/certs/ca-certificates.crt" in entries
    for pruned in ("test", "unittest", "pydoc_data", "idlelib", "tkinter", "ensurepip", "lib2to3"):
        assert f"usr/lib/python3.11/{pruned}" not in entries
    assert not any(stat.S_ISCHR(e.mode) or stat.S_ISBLK(e.mode) for e in entries.values())


def test_every_elf_finds_its_libraries(initrd_entries: dict[str, Entry]) -> None:
    entries = initrd_entries
    libraries = {posixpath.basename(p) for p in entries if p.startswith(("lib/", "usr/lib/"))}
    for path, entry in entries.items():
        if entry.kind != "file" or not entry.data.startswith(elf.ELF_MAGIC) or ".ko" in path:
            continue
        info = elf.parse(entry.data)
        missing = [name for name in info.needed if name not in libraries]
        assert not missing, f"{path} needs {missing}"
        if info.interpreter:
            assert entries[_resolve(entries, info.interpreter.lstrip("/"))].kind == "file"


def test_modules_listed_for_init_are_present(initrd_entries: dict[str, Entry]) -> None:
    order = initrd_entries["etc/beskar7/modules"].data.decode().split()
    release = json.loads((IMAGE / "manifest.json").read_text())["kernel"]["release"]
    names = [posixpath.basename(path) for path in order]
    assert names.index("virtio_ring.ko") < names.index("virtio.ko") < names.index("virtio_net.ko")
    for path in order:
        blob = initrd_entries[f"lib/modules/{release}/{path}"].data
        assert blob.startswith(elf.ELF_MAGIC)


def test_target_archive() -> None:
    with tarfile.open(IMAGE / "target.tar.gz") as archive:
        names = archive.getnames()
        assert {"boot/vmlinuz", "boot/initrd.img"} <= set(names)
        kernel = archive.extractfile("boot/vmlinuz")
        initrd = archive.extractfile("boot/initrd.img")
        assert kernel is not None and initrd is not None
        assert kernel.read() == (IMAGE / "vmlinuz").read_bytes()
        entries = {entry.path: entry for entry in cpio.read(initrd.read())}
    assert b"beskar7-target" in entries["init"].data
    assert "usr/bin/python3.11" not in entries
    assert entries["bin/sh"].kind == "symlink"


def test_manifest_records_packages_and_sizes() -> None:
    document = json.loads((IMAGE / "manifest.json").read_text())
    names = {package["name"] for package in document["packages"]}
    assert {"busybox-static", "python3.11-minimal", "kexec-tools", "util-linux"} <= names
    assert any(name.startswith("linux-image-") and name.endswith("-cloud-amd64") for name in names)
    assert all(len(package["sha256"]) == 64 for package in document["packages"])
    assert "systemd" not in names and "debconf" not in names
    for name in ("vmlinuz", "initrd.img", "target.tar.gz"):
        assert document["files"][name]["size"] == (IMAGE / name).stat().st_size
    assert document["files"]["vmlinuz"]["size"] + document["files"]["initrd.img"]["size"] < 40e6
    assert document["kernel"]["config"]["KEXEC"] == "y"


def test_image_python_runs_the_inspector(initrd_entries: dict[str, Entry], tmp_path: Path) -> None:
    tree = Tree()
    tree.entries = dict(initrd_entries)
    stage.write(tree, tmp_path / "root")
    result = stage.check(tmp_path / "root")
    assert result["outside"] == []
    assert isinstance(result["inspector_modules"], int) and result["inspector_modules"] >= 10
    done = subprocess.run(
        stage.python_command(tmp_path / "root", "-m", "beskar7.inspector", "--help"),
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "beskar7-inspector" in done.stdout
