"""The mmdebstrap base: its command, its cache key and folder, a missing tool."""

from pathlib import Path

import pytest

from deploy import base
from deploy.images import ImageError


def test_the_command_makes_a_minimal_root_with_python_and_no_docs() -> None:
    command = base.mmdebstrap_command(Path("/x/root.tar"))
    assert command[:2] == ["mmdebstrap", "--variant=minbase"]
    assert "--include=python3,python3-venv,ca-certificates" in command
    assert "--dpkgopt=path-exclude=/usr/share/doc/*" in command
    assert command[-2:] == ["bookworm", "/x/root.tar"]


def test_the_cache_key_follows_the_package_list(monkeypatch: pytest.MonkeyPatch) -> None:
    before = base.base_image()
    assert before.startswith("localhost/metalfleet-base:bookworm-")
    monkeypatch.setattr(base, "PACKAGES", (*base.PACKAGES, "tzdata"))
    assert base.base_image() != before
    assert base.tarball(Path("/c")).name == f"debian-bookworm-python-{base.key()}.tar"


def test_the_cache_folder_is_chosen_by_the_environment(tmp_path: Path) -> None:
    assert base.cache_dir({"METALFLEET_CACHE": str(tmp_path)}) == tmp_path
    assert base.cache_dir({"XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/metalfleet")


def test_a_cached_tarball_is_reused_without_mmdebstrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = base.tarball(tmp_path)
    cached.write_bytes(b"root")
    monkeypatch.setenv("PATH", "")  # mmdebstrap could not even be found
    assert base.make_tarball(tmp_path) == cached


def test_without_mmdebstrap_the_error_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImageError, match="Debian package 'mmdebstrap'"):
        base.make_tarball(tmp_path / "cache")
    assert not any((tmp_path / "cache").glob("*.tar"))
