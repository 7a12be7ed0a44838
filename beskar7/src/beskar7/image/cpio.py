"""The initramfs format: a `newc` cpio archive (what the kernel unpacks), gzip-compressed.

Deterministic: inode numbers in order, owner root, one fixed mtime, gzip without a timestamp,
so the same inputs give the same bytes.
"""

from __future__ import annotations

import gzip
import io
import stat
from collections.abc import Iterable

from beskar7.image.tree import Entry

MAGIC = b"070701"
TRAILER = "TRAILER!!!"


def _pad(length: int) -> bytes:
    return b"\0" * (-length % 4)


def _header(number: int, mode: int, size: int, name: bytes, mtime: int) -> bytes:
    nlink = 2 if stat.S_ISDIR(mode) else 1
    fields = (number, mode, 0, 0, nlink, mtime, size, 0, 0, 0, 0, len(name) + 1, 0)
    return MAGIC + b"".join(f"{value:08X}".encode() for value in fields)


def _member(number: int, mode: int, name: str, data: bytes, mtime: int) -> bytes:
    encoded = name.encode()
    head = _header(number, mode, len(data), encoded, mtime) + encoded + b"\0"
    return head + _pad(len(head)) + data + _pad(len(data))


def write(entries: Iterable[Entry], *, mtime: int = 0) -> bytes:
    """The uncompressed archive: directories must come before their contents."""
    out = io.BytesIO()
    number = 0
    for number, entry in enumerate(entries, start=1):
        out.write(_member(number, entry.mode, entry.path, entry.data, mtime))
    out.write(_member(number + 1, 0, TRAILER, b"", 0))
    return out.getvalue()


def compress(archive: bytes) -> bytes:
    return gzip.compress(archive, compresslevel=9, mtime=0)


def _field(blob: bytes, offset: int, index: int) -> int:
    start = offset + 6 + 8 * index
    return int(blob[start : start + 8], 16)


def read(blob: bytes) -> list[Entry]:
    """Parse an (uncompressed or gzip'd) newc archive back into entries (without the trailer)."""
    if blob[:2] == b"\x1f\x8b":
        blob = gzip.decompress(blob)
    entries: list[Entry] = []
    offset = 0
    while True:
        if blob[offset : offset + 6] != MAGIC:
            raise ValueError(f"no newc header at byte {offset}")
        mode, size, name_size = (_field(blob, offset, i) for i in (1, 6, 11))
        name_start = offset + 110
        name = blob[name_start : name_start + name_size - 1].decode()
        data_start = name_start + name_size + len(_pad(110 + name_size))
        data = blob[data_start : data_start + size]
        offset = data_start + size + len(_pad(size))
        if name == TRAILER:
            return entries
        entries.append(Entry(name, mode, data))
