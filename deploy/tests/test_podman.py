"""The test podman: what it needs, its own storage and configuration."""

import shutil
from pathlib import Path

import pytest

from deploy.podman import CONTAINERS_CONF, Podman, available


def test_each_missing_tool_is_named_with_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    present = {"podman", "runc", "mmdebstrap"}
    monkeypatch.setattr(shutil, "which", lambda t: t if t in present else None)
    assert available() is None
    present.discard("runc")
    assert available() == "runc is not installed (Debian package 'runc')"


def test_its_storage_and_configuration_stay_under_its_folder(tmp_path: Path) -> None:
    engine = Podman(tmp_path)
    engine.prepare()
    assert engine.prefix[engine.prefix.index("--root") + 1] == str(tmp_path / "storage")
    assert engine.prefix[engine.prefix.index("--runroot") + 1] == str(tmp_path / "run")
    assert engine.env["CONTAINERS_CONF"] == str(tmp_path / "containers.conf")
    assert (tmp_path / "containers.conf").read_text() == CONTAINERS_CONF
    assert 'runtime = "runc"' in CONTAINERS_CONF
