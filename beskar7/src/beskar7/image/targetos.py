"""target.tar.gz: the test's final OS as the inspector downloads it (boot/vmlinuz and
boot/initrd.img), written deterministically (root-owned, fixed mtime, gzip without timestamp)."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path
from typing import Any

from beskar7.image import manifest


def _member(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    archive.addfile(info, io.BytesIO(data))


def write_target(path: Path, vmlinuz: Path, initrd: bytes) -> dict[str, Any]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for folder in ("boot",):
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            archive.addfile(info)
        _member(archive, "boot/vmlinuz", vmlinuz.read_bytes())
        _member(archive, "boot/initrd.img", initrd)
    path.write_bytes(gzip.compress(buffer.getvalue(), compresslevel=6, mtime=0))
    return manifest.file_record(path, initrd_size=len(initrd))
