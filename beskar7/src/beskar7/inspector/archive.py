"""Unpack a target archive safely and find the kernel and initrd in it."""

from __future__ import annotations

import fnmatch
import os
import shutil
import tarfile
from pathlib import Path

from beskar7.inspector.deadline import TargetError

KERNEL_NAMES = ("vmlinuz*", "kernel", "bzImage")
INITRD_NAMES = ("initrd*", "initramfs*")
MAX_MEMBERS = 10_000
_CHUNK = 1024 * 1024


class UnsafeArchiveError(TargetError):
    """A member would land outside the destination, or the archive is too big or odd."""


def extract(archive: Path, destination: Path, *, max_bytes: int) -> None:
    """Unpack `archive` (tar, optionally compressed) into `destination`, refusing anything unsafe.

    Refused: absolute names, `..`, links resolving outside `destination`, devices and fifos,
    more than `max_bytes` of content or MAX_MEMBERS members. Modes and owners are not kept.
    """
    destination.mkdir(parents=True, exist_ok=True)
    top = destination.resolve()
    total = 0
    try:
        with tarfile.open(archive, "r:*") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise UnsafeArchiveError(f"archive has more than {MAX_MEMBERS} members")
                total += member.size if member.isreg() else 0
                if total > max_bytes:
                    raise UnsafeArchiveError(f"archive content exceeds {max_bytes} bytes")
                _extract_member(tar, member, top)
    except tarfile.TarError as exc:
        raise TargetError(f"target archive unreadable: {exc}") from None
    except OSError as exc:
        raise TargetError(f"target archive could not be unpacked: {exc.strerror}") from None


def _extract_member(tar: tarfile.TarFile, member: tarfile.TarInfo, top: Path) -> None:
    relative = _relative(member.name)
    target = _inside(top, top / relative, member.name)
    if target == top:
        return
    if not member.isdir() and os.path.lexists(top / relative):
        raise UnsafeArchiveError(f"{member.name}: appears twice in the archive")
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
    elif member.isreg():
        _write(tar, member, target)
    elif member.issym():
        _inside(top, target.parent / member.linkname, member.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(member.linkname, target)
    elif member.islnk():
        source = _inside(top, top / _relative(member.linkname), member.name)
        if not source.is_file():
            raise UnsafeArchiveError(f"{member.name}: hard link to a missing file")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    else:
        raise UnsafeArchiveError(f"{member.name}: special files are not allowed")


def _relative(name: str) -> str:
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if name.startswith("/") or ".." in parts:
        raise UnsafeArchiveError(f"{name}: path escapes the target directory")
    return "/".join(parts)


def _inside(top: Path, path: Path, name: str) -> Path:
    """`path` with its existing symlinks resolved, if that stays under `top`."""
    resolved = Path(os.path.realpath(path))
    if resolved != top and top not in resolved.parents:
        raise UnsafeArchiveError(f"{name}: path escapes the target directory")
    return resolved


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    source = tar.extractfile(member)
    if source is None:
        raise UnsafeArchiveError(f"{member.name}: unreadable member")
    target.parent.mkdir(parents=True, exist_ok=True)
    with source, open(target, "xb") as out:
        shutil.copyfileobj(source, out, _CHUNK)


def find_boot_files(directory: Path) -> tuple[Path, Path | None]:
    """(kernel, initrd or None) under `directory`: shallowest match first, then by name."""
    kernel = _find(directory, KERNEL_NAMES)
    if kernel is None:
        names = ", ".join(KERNEL_NAMES)
        raise TargetError(f"no kernel ({names}) in the target archive")
    return kernel, _find(directory, INITRD_NAMES)


def _find(directory: Path, patterns: tuple[str, ...]) -> Path | None:
    top = directory.resolve()
    matches = []
    for path in directory.rglob("*"):
        if any(fnmatch.fnmatchcase(path.name, pattern) for pattern in patterns):
            resolved = path.resolve()
            if resolved.is_file() and top in resolved.parents:
                matches.append((len(path.relative_to(directory).parts), str(path), resolved))
    return min(matches)[2] if matches else None
