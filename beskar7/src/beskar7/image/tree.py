"""An initramfs being assembled: paths -> directories, files and symlinks, all owned by root.

Files come from the extracted packages (the sysroot) or from the builder. `add_from` follows a
symlink chain inside the sysroot (each link and its target go in), `add_elf` adds an executable
or library with its ELF interpreter and every library it needs, recursively.
"""

from __future__ import annotations

import dataclasses
import posixpath
import stat
from collections.abc import Iterator
from pathlib import Path

from beskar7.image import elf

LIBRARY_DIRS = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib")


class TreeError(Exception):
    """A file the image needs is not in the sysroot."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """`data` is a file's contents or a symlink's target; `mode` includes the type bits."""

    path: str
    mode: int
    data: bytes = b""

    @property
    def kind(self) -> str:
        if stat.S_ISDIR(self.mode):
            return "dir"
        return "symlink" if stat.S_ISLNK(self.mode) else "file"


def _clean(path: str) -> str:
    cleaned = posixpath.normpath("/" + path).lstrip("/")
    if not cleaned or cleaned == ".":
        raise TreeError(f"bad image path {path!r}")
    return cleaned


class Tree:
    def __init__(self, sysroot: Path | None = None) -> None:
        self.sysroot = sysroot
        self.entries: dict[str, Entry] = {}

    def __contains__(self, path: str) -> bool:
        return _clean(path) in self.entries

    def __iter__(self) -> Iterator[Entry]:
        """Sorted: every directory comes before what it holds."""
        return iter(self.entries[path] for path in sorted(self.entries))

    def add_dir(self, path: str, mode: int = 0o755) -> None:
        path = _clean(path)
        parent = posixpath.dirname(path)
        if parent:
            self.add_dir(parent)
        if path not in self.entries:
            self.entries[path] = Entry(path, stat.S_IFDIR | mode)

    def _add(self, entry: Entry) -> None:
        parent = posixpath.dirname(entry.path)
        if parent:
            self.add_dir(parent)
        self.entries[entry.path] = entry

    def add_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        self._add(Entry(_clean(path), stat.S_IFREG | (mode & 0o7777), data))

    def add_symlink(self, path: str, target: str) -> None:
        self._add(Entry(_clean(path), stat.S_IFLNK | 0o777, target.encode()))

    def source(self, path: str) -> Path:
        if self.sysroot is None:
            raise TreeError("this tree has no sysroot")
        return self.sysroot / _clean(path)

    def add_from(self, path: str, *, as_path: str | None = None) -> str:
        """Copy `path` from the sysroot (following symlinks); returns the final file's path."""
        path = _clean(path)
        source = self.source(path)
        if source.is_symlink():
            target = str(source.readlink())
            self.add_symlink(as_path or path, target)
            resolved = posixpath.join(posixpath.dirname(path), target)
            return self.add_from(resolved)
        if not source.is_file():
            raise TreeError(f"{path} is not in the sysroot")
        self.add_file(as_path or path, source.read_bytes(), source.stat().st_mode)
        return path

    def find_library(self, name: str) -> str:
        for folder in LIBRARY_DIRS:
            candidate = f"{folder}/{name}"
            if self.source(candidate).exists():
                return candidate
        raise TreeError(f"library {name} is not in the sysroot")

    def add_elf(self, path: str, *, as_path: str | None = None) -> None:
        """Add an ELF file and, recursively, its interpreter and DT_NEEDED libraries."""
        final = self.add_from(path, as_path=as_path)
        info = elf.read(self.source(final))
        wanted = [*([info.interpreter] if info.interpreter else [])]
        wanted += [self.find_library(name) for name in info.needed]
        for dependency in wanted:
            if _clean(dependency) not in self.entries:
                self.add_elf(dependency)

    def size(self) -> int:
        return sum(len(entry.data) for entry in self.entries.values() if entry.kind == "file")
