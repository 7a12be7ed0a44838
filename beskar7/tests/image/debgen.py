"""Build tiny .deb files for tests: `ar` with debian-binary, control.tar.xz, data.tar.*."""

from __future__ import annotations

import io
import tarfile


def ar(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO(b"!<arch>\n")
    out.seek(0, io.SEEK_END)
    for name, data in members:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n"
        out.write(header.encode("ascii") + data + (b"\n" if len(data) % 2 else b""))
    return out.getvalue()


def tar(entries: list[tarfile.TarInfo], contents: dict[str, bytes], mode: str = "w:xz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for info in entries:
            data = contents.get(info.name)
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def entry(
    name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644, link: str = ""
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, link
    return info


def deb(data: bytes, data_name: str = "data.tar.xz") -> bytes:
    control = tar([entry("./control")], {"./control": b"Package: tiny\n"})
    return ar([("debian-binary", b"2.0\n"), ("control.tar.xz", control), (data_name, data)])
