"""Safe unpacking of target archives and finding the kernel and initrd in them."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from beskar7.inspector.archive import UnsafeArchiveError, extract, find_boot_files
from beskar7.inspector.deadline import TargetError

Member = tuple[str, bytes | str | None]
"""(name, content): bytes = file, "->target" = symlink, "=>target" = hard link, None = dir."""


def make_tar(path: Path, members: list[Member]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif isinstance(content, str):
                info.type = tarfile.SYMTYPE if content.startswith("->") else tarfile.LNKTYPE
                info.linkname = content[2:]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return path


def unpack(tmp_path: Path, members: list[Member], **kwargs: int) -> Path:
    archive = make_tar(tmp_path / "target.tar.gz", members)
    destination = tmp_path / "out" / "tree"
    extract(archive, destination, max_bytes=kwargs.get("max_bytes", 1 << 20))
    return destination


def test_kernel_and_initrd_at_any_depth(tmp_path: Path) -> None:
    tree = unpack(
        tmp_path,
        [
            ("./", None),
            ("./README", b"target"),
            ("./boot/", None),
            ("./boot/vmlinuz-6.1.0-28-amd64", b"KERNEL"),
            ("./boot/initrd.img-6.1.0-28-amd64", b"INITRD"),
            ("./boot/config-6.1.0-28-amd64", b"CONFIG"),
        ],
    )
    kernel, initrd = find_boot_files(tree)
    assert kernel.read_bytes() == b"KERNEL" and kernel.name == "vmlinuz-6.1.0-28-amd64"
    assert initrd is not None and initrd.read_bytes() == b"INITRD"


@pytest.mark.parametrize("name", ["kernel", "bzImage", "vmlinuz"])
def test_other_kernel_names_and_no_initrd(tmp_path: Path, name: str) -> None:
    kernel, initrd = find_boot_files(unpack(tmp_path, [(f"images/pxe/{name}", b"K")]))
    assert kernel.name == name and initrd is None


def test_the_shallowest_kernel_wins(tmp_path: Path) -> None:
    tree = unpack(tmp_path, [("a/b/vmlinuz-old", b"OLD"), ("vmlinuz", b"NEW"), ("initramfs", b"I")])
    kernel, initrd = find_boot_files(tree)
    assert kernel.read_bytes() == b"NEW"
    assert initrd is not None and initrd.name == "initramfs"


def test_links_inside_the_archive_are_followed(tmp_path: Path) -> None:
    tree = unpack(
        tmp_path,
        [
            ("boot/vmlinuz-6.1", b"KERNEL"),
            ("boot/initrd.img-6.1", b"INITRD"),
            ("vmlinuz", "->boot/vmlinuz-6.1"),
            ("boot/initrd.img", "=>boot/initrd.img-6.1"),
        ],
    )
    kernel, initrd = find_boot_files(tree)
    assert kernel.read_bytes() == b"KERNEL"
    assert initrd is not None and initrd.read_bytes() == b"INITRD"


def test_a_tar_without_a_kernel(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="no kernel"):
        find_boot_files(unpack(tmp_path, [("initrd.img", b"I"), ("vmlinux.txt", b"no")]))


@pytest.mark.parametrize(
    "members",
    [
        [("../../escaped", b"x")],
        [("boot/../../escaped", b"x")],
        [("/tmp/escaped-absolute", b"x")],
        [("vmlinuz", "->/etc/passwd")],
        [("up", "->../.."), ("up/escaped", b"x")],
        [("a/b/c", "->.."), ("a/b/c/x", "->../../..")],  # inside only lexically
        [("d", "->."), ("d/e", "->../../escaped")],
        [("hard", "=>../../etc/passwd")],
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "abs-symlink", "dir-symlink-out", "link-chain",
         "link-through-link", "hardlink-out"],
)  # fmt: skip
def test_members_escaping_the_directory_are_refused(tmp_path: Path, members: list[Member]) -> None:
    with pytest.raises(UnsafeArchiveError, match="escapes"):
        unpack(tmp_path, members)
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "out" / "escaped").exists()


def test_devices_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "dev.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("dev/sda")
        info.type = tarfile.BLKTYPE
        tar.addfile(info)
    with pytest.raises(UnsafeArchiveError, match="special files"):
        extract(archive, tmp_path / "out", max_bytes=1 << 20)


def test_duplicates_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchiveError, match="twice"):
        unpack(tmp_path, [("vmlinuz", b"good"), ("vmlinuz", b"evil")])


def test_size_limit(tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchiveError, match="exceeds 1000 bytes"):
        unpack(tmp_path, [("a", b"x" * 600), ("b", b"x" * 600)], max_bytes=1000)


def test_not_a_tar(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(TargetError, match="unreadable"):
        extract(garbage, tmp_path / "out", max_bytes=1 << 20)
