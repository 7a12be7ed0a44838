"""`.deb` files in pure Python: an `ar` archive whose `data.tar.{xz,gz,bz2}` is the payload.

`extract` unpacks a package's files under a directory without root: regular files, directories,
symlinks and hard links (as copies); device nodes, fifos and ownership are left out, and names
that would land outside the directory are refused.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath
from typing import Literal

AR_MAGIC = b"!<arch>\n"
_Mode = Literal["r:", "r:gz", "r:xz", "r:bz2"]
_COMPRESSION: dict[str, _Mode] = {"": "r:", ".gz": "r:gz", ".xz": "r:xz", ".bz2": "r:bz2"}


class DebError(Exception):
    """Not a .deb this module can read (bad ar archive, zstd payload, unsafe names)."""


@dataclasses.dataclass(frozen=True)
class Member:
    name: str
    data: bytes


def ar_members(blob: bytes) -> list[Member]:
    """The members of a System V / GNU `ar` archive (the format of a .deb)."""
    if not blob.startswith(AR_MAGIC):
        raise DebError("not an ar archive")
    members: list[Member] = []
    offset = len(AR_MAGIC)
    while offset + 60 <= len(blob):
        header = blob[offset : offset + 60]
        if header[58:60] != b"`\n":
            raise DebError(f"bad ar member header at byte {offset}")
        name = header[:16].decode("ascii").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        start = offset + 60
        if start + size > len(blob):
            raise DebError(f"ar member {name!r} is truncated")
        members.append(Member(name, blob[start : start + size]))
        offset = start + size + (size % 2)
    if blob[offset:].strip(b"\n"):
        raise DebError(f"ar archive is truncated at byte {offset}")
    return members


def data_tar(blob: bytes) -> tarfile.TarFile:
    """The package's data.tar.* opened for reading."""
    for member in ar_members(blob):
        if not member.name.startswith("data.tar"):
            continue
        suffix = member.name[len("data.tar") :]
        if suffix not in _COMPRESSION:
            raise DebError(f"{member.name}: unsupported compression (only xz, gz, bz2, none)")
        return tarfile.open(fileobj=io.BytesIO(member.data), mode=_COMPRESSION[suffix])
    raise DebError("no data.tar member")


def _target(root: Path, name: str) -> Path:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise DebError(f"unsafe name {name!r}")
    return root.joinpath(*[part for part in path.parts if part != "."])


def _place(root: Path, archive: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    target = _target(root, member.name)
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
        target.chmod(0o755 | (member.mode & 0o7777))
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    if member.issym():
        os.symlink(member.linkname, target)
    elif member.islnk():
        shutil.copy2(_target(root, member.linkname), target)
    elif member.isfile():
        source = archive.extractfile(member)
        assert source is not None
        with target.open("wb") as handle:
            shutil.copyfileobj(source, handle)
        target.chmod(member.mode & 0o7777)


def extract(deb: Path, root: Path) -> list[str]:
    """Unpack `deb`'s files under `root`; returns the names placed (without `./`)."""
    placed: list[str] = []
    with data_tar(deb.read_bytes()) as archive:
        for member in archive:
            if not (member.isdir() or member.isfile() or member.issym() or member.islnk()):
                continue  # devices and fifos: an initramfs gets devtmpfs instead
            _place(root, archive, member)
            placed.append(str(PurePosixPath(member.name)).removeprefix("./"))
    return placed
