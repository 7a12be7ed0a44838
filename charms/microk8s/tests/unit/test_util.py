"""Tests for util: argv-list commands with retries, managed files and marker blocks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import util
from runner import FakeRunner


def test_run_returns_stdout_of_the_exact_argv(runner: FakeRunner) -> None:
    runner.outputs[("/bin/echo",)] = "hello\n"

    assert util.run(["/bin/echo", "hello"]) == "hello\n"
    assert runner.calls == [["/bin/echo", "hello"]]


def test_run_rejects_a_relative_command(runner: FakeRunner) -> None:
    with pytest.raises(ValueError, match="absolute path"):
        util.run(["microk8s", "status"])
    assert runner.calls == []


def test_run_retries_until_the_command_succeeds(runner: FakeRunner) -> None:
    runner.failures[("/bin/false",)] = 2

    util.run(["/bin/false"], attempts=3)

    assert len(runner.calls) == 3


def test_run_raises_after_the_last_attempt(runner: FakeRunner) -> None:
    runner.failures[("/bin/false",)] = 5

    with pytest.raises(subprocess.CalledProcessError):
        util.run(["/bin/false"], attempts=2)
    assert len(runner.calls) == 2


def test_run_masks_the_secret_in_the_error_and_the_log(
    runner: FakeRunner, caplog: pytest.LogCaptureFixture
) -> None:
    def echo_token(argv: list[str]) -> None:
        raise subprocess.CalledProcessError(1, argv, "out tok3n", f"bad token {argv[1]}")

    runner.side_effects[("/bin/join",)] = echo_token

    with pytest.raises(subprocess.CalledProcessError) as raised:
        util.run(["/bin/join", "tok3n"], attempts=2, secret="tok3n")

    assert raised.value.cmd == ["/bin/join", "***"]
    assert "tok3n" not in str(raised.value)
    assert (raised.value.stdout, raised.value.stderr) == ("out ***", "bad token ***")
    assert "tok3n" not in caplog.text
    assert len(runner.calls) == 2


def test_ensure_file_reports_change_only_when_content_differs(tmp_path: Path) -> None:
    path = tmp_path / "a/b/file"

    assert util.ensure_file(path, "x", mode=0o600) is True
    assert util.ensure_file(path, "x", mode=0o600) is False
    assert path.read_text() == "x"
    assert path.stat().st_mode & 0o777 == 0o600


def test_remove_file_reports_whether_it_removed(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    path.write_text("")

    assert util.remove_file(path) is True
    assert util.remove_file(path) is False


def test_ensure_block_appends_a_marker_block(tmp_path: Path) -> None:
    path = tmp_path / "env"
    path.write_text("KEEP=1\n")

    assert util.ensure_block(path, ["A=1"]) is True

    assert path.read_text() == (
        "KEEP=1\n# begin managed by microk8s charm\nA=1\n# end managed by microk8s charm\n"
    )


def test_ensure_block_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "env"
    util.ensure_block(path, ["A=1"])
    before = path.read_text()

    assert util.ensure_block(path, ["A=1"]) is False
    assert path.read_text() == before


def test_ensure_block_replaces_the_block_in_place(tmp_path: Path) -> None:
    path = tmp_path / "env"
    path.write_text("TOP=1\n")
    util.ensure_block(path, ["A=1"])
    path.write_text(path.read_text() + "BOTTOM=1\n")

    assert util.ensure_block(path, ["A=2", "B=2"]) is True

    lines = path.read_text().splitlines()
    assert lines == [
        "TOP=1",
        "# begin managed by microk8s charm",
        "A=2",
        "B=2",
        "# end managed by microk8s charm",
        "BOTTOM=1",
    ]


def test_ensure_block_with_no_lines_removes_the_block(tmp_path: Path) -> None:
    path = tmp_path / "env"
    path.write_text("KEEP=1\n")
    util.ensure_block(path, ["A=1"])

    assert util.ensure_block(path, []) is True
    assert path.read_text() == "KEEP=1\n"
    assert util.ensure_block(path, []) is False


def test_ensure_block_goes_after_the_anchor(tmp_path: Path) -> None:
    path = tmp_path / "csr"
    path.write_text("[ alt_names ]\n#MOREIPS\n\n[ v3_ext ]\n")

    util.ensure_block(path, ["DNS.100 = x"], anchor="#MOREIPS")

    assert path.read_text().splitlines()[:5] == [
        "[ alt_names ]",
        "#MOREIPS",
        "# begin managed by microk8s charm",
        "DNS.100 = x",
        "# end managed by microk8s charm",
    ]
