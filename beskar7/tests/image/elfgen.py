"""Tiny synthetic ELF64 files for the builder's tests: a dynamic executable (PT_INTERP,
PT_DYNAMIC with DT_NEEDED) and a relocatable object with a `.modinfo` section (a module)."""

from __future__ import annotations

import struct

BASE = 0x400000


def _header(kind: int, phnum: int, shoff: int = 0, shnum: int = 0, shstrndx: int = 0) -> bytes:
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    return ident + struct.pack(
        "<HHIQQQIHHHHHH", kind, 0x3E, 1, 0, 64 if phnum else 0, shoff, 0, 64, 56, phnum, 64,
        shnum, shstrndx,
    )  # fmt: skip


def executable(interpreter: str | None, needed: list[str]) -> bytes:
    """A (non-runnable) ELF executable that needs `needed` and asks for `interpreter`."""
    strtab = b"\0" + b"".join(name.encode() + b"\0" for name in needed)
    offsets, position = [], 1
    for name in needed:
        offsets.append(position)
        position += len(name) + 1
    interp = (interpreter.encode() + b"\0") if interpreter else b""
    phnum = 3 if interpreter else 2
    data_start = 64 + 56 * phnum
    interp_at, strtab_at = data_start, data_start + len(interp)
    dynamic_at = strtab_at + len(strtab)
    entries = [(1, offset) for offset in offsets] + [(5, BASE + strtab_at), (0, 0)]
    dynamic = b"".join(struct.pack("<qQ", tag, value) for tag, value in entries)
    total = dynamic_at + len(dynamic)
    headers = [struct.pack("<IIQQQQQQ", 1, 5, 0, BASE, BASE, total, total, 0x1000)]
    if interpreter:
        headers.append(struct.pack("<IIQQQQQQ", 3, 4, interp_at, BASE + interp_at, 0,
                                   len(interp), len(interp), 1))  # fmt: skip
    headers.append(struct.pack("<IIQQQQQQ", 2, 6, dynamic_at, BASE + dynamic_at, 0,
                               len(dynamic), len(dynamic), 8))  # fmt: skip
    return _header(2, phnum) + b"".join(headers) + interp + strtab + dynamic


def module(modinfo: dict[str, str]) -> bytes:
    """A relocatable ELF (like a .ko) whose `.modinfo` holds `key=value` strings."""
    info = b"".join(f"{key}={value}".encode() + b"\0" for key, value in modinfo.items())
    names = b"\0.modinfo\0.shstrtab\0"
    info_at, names_at = 64, 64 + len(info)
    shoff = names_at + len(names)
    sections = [
        b"\0" * 64,
        struct.pack("<IIQQQQIIQQ", 1, 1, 2, 0, info_at, len(info), 0, 0, 1, 0),
        struct.pack("<IIQQQQIIQQ", 10, 3, 0, 0, names_at, len(names), 0, 0, 1, 0),
    ]
    return _header(1, 0, shoff, 3, 2) + info + names + b"".join(sections)
