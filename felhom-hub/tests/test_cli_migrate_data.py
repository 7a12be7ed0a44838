"""``felhom-hub migrate-data`` as an operator runs it: a verified copy to PostgreSQL and back,
clear refusals that change nothing (exit 2), a copy killed mid-way and finished with --force,
and a changed row reported (exit 1). The password never shows."""

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from felhom_hub.cli import main
from felhom_hub.config import Settings
from felhom_hub.store import Database
from felhom_hub.store import copy as store_copy
from tests import pg_server
from tests.store.hub_data import filled_sqlite, table_sums

PASSWORD_ENV = "FELHOM_HUB_STORAGE_PASSWORD"


@pytest.fixture
def hub(settings: Settings) -> Iterator[Database]:
    with filled_sqlite(settings) as db:
        yield db


@pytest.fixture
def pg_url(postgres_server: pg_server.PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSWORD_ENV, pg_server.PASSWORD)
    return postgres_server.url(postgres_server.new_database())


def opened(url: str) -> Database:
    return Database(url=make_url(url), password=pg_server.PASSWORD)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["migrate-data", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_it_copies_to_postgresql_and_back_and_prints_the_comparison(
    hub: Database,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(capsys, "--from", f"sqlite:///{hub.path}", "--to", pg_url)
    assert code == 0, err
    assert f"to:   postgresql {pg_url}" in out
    rows = [line.split() for line in out.splitlines()]
    compared = {row[0]: row[1:] for row in rows if row and row[0] in store_copy.TABLES}
    assert list(compared) == list(store_copy.TABLES)
    assert all(row[-1] == "equal" and row[2] == row[3] for row in compared.values())
    assert "verified: 15 tables" in out
    # Back to a bare SQLite path, the password from a file this time.
    monkeypatch.delenv(PASSWORD_ENV)
    secret = tmp_path / "pw"
    secret.write_text(pg_server.PASSWORD + "\n")
    monkeypatch.setenv("FELHOM_HUB_STORAGE_PASSWORD_FILE", str(secret))
    back = tmp_path / "back.db"
    code, out, err = run(capsys, "--from", pg_url, "--to", str(back))
    assert code == 0, err
    assert pg_server.PASSWORD not in out + err
    back_db = Database(back)
    assert table_sums(back_db) == table_sums(hub)
    back_db.dispose()
    # Or as the hub has it in hub.yaml: --config names it.
    monkeypatch.delenv("FELHOM_HUB_STORAGE_PASSWORD_FILE")
    config = tmp_path / "hub.yaml"
    config.write_text(f"storage:\n  password_file: {secret}\n")
    code, out, err = run(capsys, "--from", pg_url, "--to", str(tmp_path / "again.db"))
    assert code != 0 and "password" in err.lower(), "without the password it is refused"
    argv = ("--config", str(config), "--from", pg_url, "--to", str(tmp_path / "again.db"))
    code, out, err = run(capsys, *argv)
    assert code == 0, err


@pytest.mark.parametrize(
    ("source", "target", "says"),
    [
        ("mysql://u@h/db", "{tmp}/t.db", "unsupported engine"),
        ("{hub}", "sqlite:///{hub}", "the same database"),
        ("{tmp}/missing.db", "{tmp}/t.db", "no such SQLite file"),
        ("{hub}", "postgresql://u:hunter2@127.0.0.1/db", "must not hold a password"),
        ("{hub}", "postgresql://u@127.0.0.1", "names no database"),
        ("{hub}", "sqlite://", "names no file"),
        ("{hub}", "--verify-only {tmp}/t.db", "no such SQLite file"),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_changes_nothing(
    hub: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    source: str,
    target: str,
    says: str,
) -> None:
    before = table_sums(hub)
    places = {"tmp": str(tmp_path), "hub": str(hub.path)}
    *flags, target = target.format(**places).split()
    code, out, err = run(capsys, *flags, "--from", source.format(**places), "--to", target)
    assert code == 2
    assert says in err
    assert "hunter2" not in out + err
    assert not (tmp_path / "t.db").exists() and not (tmp_path / "missing.db").exists()
    assert table_sums(hub) == before


def test_a_non_empty_target_is_refused_without_force(
    hub: Database, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "--from", str(hub.path), "--to", pg_url)[0] == 0
    target = opened(pg_url)
    before = table_sums(target)
    code, _, err = run(capsys, "--from", str(hub.path), "--to", pg_url)
    assert code == 2
    assert "not empty" in err and "--force" in err
    assert table_sums(target) == before
    target.dispose()


def test_a_changed_row_fails_verification_with_exit_1(
    hub: Database, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "--from", str(hub.path), "--to", pg_url)[0] == 0
    target = opened(pg_url)
    with target.write() as conn:
        conn.exec_driver_sql("UPDATE metric_series SET n = n + 1 WHERE resolution = 900")
    before = table_sums(target)
    code, out, err = run(capsys, "--verify-only", "--from", str(hub.path), "--to", pg_url)
    assert code == 1
    [line] = [line for line in out.splitlines() if line.endswith("DIFFERENT")]
    assert line.startswith("metric_series")
    assert "verification failed: metric_series differ" in err
    assert table_sums(target) == before  # --verify-only changed nothing
    target.dispose()


def test_a_wrong_password_is_an_error_that_does_not_show_it(
    hub: Database, pg_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password-77")
    code, out, err = run(capsys, "--from", str(hub.path), "--to", pg_url)
    assert code == 1
    assert "password authentication failed" in err
    assert "not-the-password-77" not in out + err


RAW_ROWS = 20_000


def test_a_copy_killed_mid_table_finishes_with_force_without_duplicates(
    hub: Database, pg_url: str
) -> None:
    with hub.write() as conn:  # raw reports enough for 40 pages of 500 or more
        conn.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO raw_reports (customer_id, received_at, dict_id, body) "
            "SELECT customer_id, received_at + i, dict_id, body FROM raw_reports, n "
            "WHERE raw_reports.id = 1",
            (RAW_ROWS,),
        )
    argv = ["--from", str(hub.path), "--to", pg_url, "--batch-rows", "500"]
    killed = cli(*argv, kill_after="raw_reports: ")  # its first page committed
    assert killed.returncode == -signal.SIGKILL
    target = opened(pg_url)
    with target.read() as conn:
        partial = store_copy.count(conn, "raw_reports")
    assert 0 < partial < RAW_ROWS
    assert cli(*argv).returncode == 2  # not empty: refused without --force
    done = cli(*argv, "--force")
    assert done.returncode == 0, done.stderr
    assert "verified: 15 tables" in done.stdout
    assert table_sums(target) == table_sums(hub)
    with hub.read() as conn:
        assert store_copy.count(conn, "raw_reports") > RAW_ROWS
    target.dispose()


def cli(*argv: str, kill_after: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command in a process of its own; SIGKILL it once it prints ``kill_after``."""
    command = [sys.executable, "-m", "felhom_hub.cli", "migrate-data", *argv]
    env = {**os.environ, PASSWORD_ENV: pg_server.PASSWORD}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    guard = threading.Timer(120, process.kill)  # a hung copy fails the test, never the run
    guard.start()
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if kill_after is not None and kill_after in line:
                process.send_signal(signal.SIGKILL)
                break
        rest, err = process.communicate()
    finally:
        guard.cancel()
    return subprocess.CompletedProcess(command, process.returncode, "".join(lines) + rest, err)
