"""Backups against real restic repositories and a real dump directory."""

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from felhom_controller.collect.backups import collect_backups, dbdump_entry, restic_entry
from felhom_controller.config import BackupSettings, DbDumpDirectory, ResticRepository

needs_restic = pytest.mark.skipif(shutil.which("restic") is None, reason="restic not installed")
PASSWORD = "repo-password-0123"


def restic(repo: Path, *args: str) -> None:
    env = {**os.environ, "RESTIC_PASSWORD": PASSWORD, "RESTIC_REPOSITORY": str(repo)}
    subprocess.run(["restic", "-q", *args], env=env, check=True, timeout=120, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    restic(path, "init")
    return path


def settings(repo: Path, **more: object) -> BackupSettings:
    return BackupSettings.model_validate(
        {
            "restic_password": PASSWORD,
            "restic_repositories": [{"name": "main", "repository": str(repo)}],
            **more,
        }
    )


@needs_restic
def test_an_empty_repository_has_never_been_backed_up(repo: Path) -> None:
    (entry,) = collect_backups(settings(repo), datetime.now(UTC))
    assert (entry["kind"], entry["target"], entry["status"]) == ("restic", "main", "never")


@needs_restic
def test_a_backup_is_ok_with_its_time_and_size_then_stale_after_max_age(
    repo: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "file.bin").write_bytes(b"x" * 10_000)
    restic(repo, "backup", str(data))
    now = datetime.now(UTC)
    (entry,) = collect_backups(settings(repo), now)
    assert entry["status"] == "ok"
    assert entry["size_bytes"] >= 10_000
    assert now - datetime.fromisoformat(entry["last_success_at"]) < timedelta(minutes=5)
    (later,) = collect_backups(settings(repo), now + timedelta(hours=27))
    assert later["status"] == "failed"


@needs_restic
def test_a_repository_that_cannot_be_opened_is_failed_without_leaking_the_password(
    repo: Path,
) -> None:
    wrong = ResticRepository(name="main", repository=str(repo), password="not-the-password")
    entry = restic_entry(wrong, settings(repo), datetime.now(UTC))
    assert entry["status"] == "failed"
    assert "wrong password" in entry["error"]
    assert "not-the-password" not in str(entry)


def test_restic_missing_is_a_failed_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    (entry,) = collect_backups(settings(tmp_path), datetime.now(UTC))
    assert (entry["status"], entry["error"]) == ("failed", "restic is not installed")


def test_the_newest_dump_decides(tmp_path: Path) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    now = datetime.now(UTC)
    for name, hours in (("db-1.sql.gz", 50), ("db-2.sql.gz", 2), ("notes.txt", 0)):
        path = dumps / name
        path.write_bytes(b"dump" * 10)
        stamp = (now - timedelta(hours=hours)).timestamp()
        os.utime(path, (stamp, stamp))
    target = DbDumpDirectory(name="postgres", directory=dumps, pattern="*.sql.gz")
    entry = dbdump_entry(target, BackupSettings(), now)
    assert (entry["status"], entry["file"], entry["size_bytes"]) == ("ok", "db-2.sql.gz", 40)
    assert entry["age_hours"] == pytest.approx(2, abs=0.01)
    stale = dbdump_entry(target, BackupSettings(), now + timedelta(hours=25))
    assert stale["status"] == "failed"
    empty = DbDumpDirectory(name="none", directory=tmp_path / "missing")
    assert dbdump_entry(empty, BackupSettings(), now)["status"] == "never"
