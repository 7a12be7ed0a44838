"""``python -m deploy.cli``: pin --check, and errors as messages with exit code 1."""

import pytest

from deploy import cli
from deploy.images import Coordinates


def test_pin_check_passes_on_the_committed_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["pin", "--check"]) == 0
    assert capsys.readouterr().out == ""


def test_pin_check_names_every_file_that_would_change(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "coordinates", lambda: Coordinates("registry.example", "v9"))
    assert cli.main(["pin", "--check"]) == 1
    printed = capsys.readouterr().out
    for name in ("manager.yaml", "kustomization.yaml", "compose.yaml"):
        assert f"{name}: differs from deploy/images.env (run: make pin-images)" in printed


def test_an_unknown_service_is_an_error_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sizes", "felhom"]) == 1
    assert "error: unknown service in ['felhom']" in capsys.readouterr().err
