"""What an ELF file needs at run time: its interpreter (PT_INTERP) and DT_NEEDED libraries.

Pure Python, 64-bit little-endian only (amd64), from the program headers, so stripped files
work too: PT_DYNAMIC gives the dynamic entries, DT_STRTAB's address is mapped to a file offset
through the PT_LOAD segments.
"""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB = 0, 1, 5


@dataclasses.dataclass(frozen=True)
class ElfInfo:
    interpreter: str | None
    needed: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class _Segment:
    kind: int
    offset: int
    vaddr: int
    filesz: int


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == ELF_MAGIC
    except OSError:
        return False


def _segments(blob: bytes) -> list[_Segment]:
    if blob[:4] != ELF_MAGIC or blob[4] != 2 or blob[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (phoff,) = struct.unpack_from("<Q", blob, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", blob, 0x36)
    segments = []
    for number in range(phnum):
        kind, _, offset, vaddr, _, filesz = struct.unpack_from(
            "<IIQQQQ", blob, phoff + number * phentsize
        )
        segments.append(_Segment(kind, offset, vaddr, filesz))
    return segments


def _file_offset(segments: list[_Segment], address: int) -> int:
    for segment in segments:
        if segment.kind == PT_LOAD and segment.vaddr <= address < segment.vaddr + segment.filesz:
            return address - segment.vaddr + segment.offset
    raise ValueError(f"address {address:#x} is in no loaded segment")


def _string(blob: bytes, offset: int) -> str:
    end = blob.index(b"\0", offset)
    return blob[offset:end].decode("utf-8", errors="replace")


def _dynamic(blob: bytes, segment: _Segment) -> list[tuple[int, int]]:
    entries = []
    for offset in range(segment.offset, segment.offset + segment.filesz, 16):
        tag, value = struct.unpack_from("<qQ", blob, offset)
        if tag == DT_NULL:
            break
        entries.append((tag, value))
    return entries


def parse(blob: bytes) -> ElfInfo:
    segments = _segments(blob)
    interpreter = None
    needed: list[str] = []
    for segment in segments:
        if segment.kind == PT_INTERP:
            interpreter = _string(blob, segment.offset)
        if segment.kind != PT_DYNAMIC:
            continue
        entries = _dynamic(blob, segment)
        strtab = [value for tag, value in entries if tag == DT_STRTAB]
        if not strtab:
            continue
        base = _file_offset(segments, strtab[0])
        needed = [_string(blob, base + value) for tag, value in entries if tag == DT_NEEDED]
    return ElfInfo(interpreter, tuple(needed))


def read(path: Path) -> ElfInfo:
    return parse(path.read_bytes())


def section(blob: bytes, name: str) -> bytes | None:
    """The contents of the section called `name` (e.g. a kernel module's `.modinfo`)."""
    if blob[:4] != ELF_MAGIC or blob[4] != 2 or blob[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", blob, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", blob, 0x3A)
    headers = [
        struct.unpack_from("<IIQQQQ", blob, shoff + number * shentsize) for number in range(shnum)
    ]
    names_offset = headers[shstrndx][4]
    for name_index, _, _, _, offset, size in headers:
        if _string(blob, names_offset + name_index) == name:
            return blob[offset : offset + size]
    return None
