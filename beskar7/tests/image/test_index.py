"""Packages indexes and dependency resolution, on a snippet recorded from bookworm's index."""

from __future__ import annotations

from pathlib import Path

import pytest

from beskar7.image.index import Index, Package, Relation, parse_packages, parse_relations, stanzas
from beskar7.image.resolve import ResolveError, resolve

SNIPPET = (Path(__file__).parent / "data" / "Packages").read_text()


def _index() -> Index:
    return Index(parse_packages(SNIPPET, base_url="http://deb.debian.org/debian", suite="bookworm"))


def test_stanzas_join_continuation_lines() -> None:
    text = "Package: a\nDescription: short\n long line\n .\n\nPackage: b\n"
    assert list(stanzas(text)) == [
        {"Package": "a", "Description": "short\nlong line\n."},
        {"Package": "b"},
    ]


def test_relations() -> None:
    parsed = parse_relations(
        "libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, python3:any, x [amd64]"
    )
    assert parsed == (
        (Relation("libc6", ">=", "2.34"),),
        (Relation("debconf", ">=", "0.5"), Relation("debconf-2.0")),
        (Relation("python3"),),
        (Relation("x"),),
    )
    with pytest.raises(ValueError, match="cannot parse"):
        parse_relations("Not A Name")


def test_recorded_index_fields() -> None:
    python = _index().get("python3.11-minimal")
    assert python is not None
    assert python.url.startswith("http://deb.debian.org/debian/pool/main/p/python3.11/")
    assert len(python.sha256) == 64 and python.size > 0
    assert (Relation("libpython3.11-minimal", "=", python.version),) in python.depends


def test_newest_version_wins_and_providers() -> None:
    older = Package("zlib1g", "1:1.2.13.dfsg-1", "amd64", "pool/z_old.deb", "0" * 64, 1)
    newer = Package("zlib1g", "1:1.2.13.dfsg-1+deb12u1", "amd64", "pool/z_new.deb", "1" * 64, 1)
    index = Index([newer, older])
    assert index.get("zlib1g") == newer
    assert {p.name for p in _index().providers["debconf-2.0"]} == {"debconf", "cdebconf"}


def test_resolve_python_without_debconf() -> None:
    resolved = resolve(_index(), ["python3.11-minimal"], exclude=["debconf", "debconf-2.0"])
    names = [package.name for package in resolved.packages]
    assert names[0] == "python3.11-minimal"
    assert {"libpython3.11-minimal", "libc6", "zlib1g", "libexpat1", "libssl3"} <= set(names)
    assert "debconf" not in names and "cdebconf" not in names
    assert resolved.required_by["libpython3.11-minimal"] == "python3.11-minimal"


def test_resolve_picks_a_provider_for_a_virtual_package() -> None:
    resolved = resolve(_index(), ["kexec-tools"], exclude=["libxenmisc4.17"])
    assert "debconf" in {package.name for package in resolved.packages}
    assert "libxenmisc4.17" in resolved.skipped


def test_resolve_errors() -> None:
    with pytest.raises(ResolveError, match="nothing satisfies no-such-package"):
        resolve(_index(), ["no-such-package"])
    strict = Package("tool", "1", "amd64", "pool/t.deb", "0" * 64, 1,
                     depends=parse_relations("libc6 (>= 99)"))  # fmt: skip
    with pytest.raises(ResolveError, match=r"tool: nothing satisfies libc6 \(>= 99\)"):
        resolve(Index([*_index().packages.values(), strict]), ["tool"])
