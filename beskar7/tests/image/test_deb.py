"""`.deb` reading without dpkg: ar members, data.tar compression, safe extraction."""

from __future__ import annotations

import stat
import tarfile
from pathlib import Path

import pytest

from beskar7.image import deb
from tests.image import debgen
from tests.image.debgen import entry

ENTRIES = [
    entry("./", tarfile.DIRTYPE, 0o755),
    entry("./usr/", tarfile.DIRTYPE, 0o755),
    entry("./usr/bin/", tarfile.DIRTYPE, 0o755),
    entry("./usr/bin/tool", mode=0o755),
    entry("./usr/bin/tool-link", tarfile.SYMTYPE, 0o777, "tool"),
    entry("./usr/bin/tool-hard", tarfile.LNKTYPE, 0o755, "./usr/bin/tool"),
    entry("./dev/", tarfile.DIRTYPE, 0o755),
    entry("./dev/null", tarfile.CHRTYPE, 0o666),
]
CONTENTS = {"./usr/bin/tool": b"#!/bin/sh\necho tiny\n"}


def _write(tmp_path: Path, blob: bytes) -> Path:
    path = tmp_path / "tiny_1.0_amd64.deb"
    path.write_bytes(blob)
    return path


@pytest.mark.parametrize("suffix", ["xz", "gz", "bz2"])
def test_extract_files_links_and_skips_devices(tmp_path: Path, suffix: str) -> None:
    data = debgen.tar(ENTRIES, CONTENTS, f"w:{suffix}")
    package = _write(tmp_path, debgen.deb(data, f"data.tar.{suffix}"))
    root = tmp_path / "root"
    placed = deb.extract(package, root)
    assert "usr/bin/tool" in placed and "dev/null" not in placed
    tool = root / "usr/bin/tool"
    assert tool.read_bytes() == CONTENTS["./usr/bin/tool"]
    assert stat.S_IMODE(tool.stat().st_mode) == 0o755
    assert (root / "usr/bin/tool-link").readlink() == Path("tool")
    assert (root / "usr/bin/tool-hard").read_bytes() == tool.read_bytes()
    assert not (root / "dev/null").exists()


def test_ar_members() -> None:
    blob = debgen.ar([("debian-binary", b"2.0\n"), ("odd", b"abc")])
    assert [(m.name, m.data) for m in deb.ar_members(blob)] == [
        ("debian-binary", b"2.0\n"),
        ("odd", b"abc"),
    ]
    with pytest.raises(deb.DebError, match="not an ar archive"):
        deb.ar_members(b"PK\x03\x04")
    with pytest.raises(deb.DebError, match="truncated"):
        deb.ar_members(blob[:-5])


def test_zstd_payload_is_refused_clearly(tmp_path: Path) -> None:
    package = _write(tmp_path, debgen.deb(b"(zstd bytes)", "data.tar.zst"))
    with pytest.raises(deb.DebError, match=r"data.tar.zst: unsupported compression"):
        deb.extract(package, tmp_path / "root")


@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "./usr/../../evil"])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    package = _write(tmp_path, debgen.deb(debgen.tar([entry(name)], {name: b"x"})))
    with pytest.raises(deb.DebError, match="unsafe name"):
        deb.extract(package, tmp_path / "root")
    assert not (tmp_path / "evil").exists()
