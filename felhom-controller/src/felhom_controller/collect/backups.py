"""Backups: each configured restic repository (``restic snapshots --json``) and database-dump
directory (the newest file), as the report's ``backups`` entries.

A repository is ``ok`` when its newest snapshot is younger than ``backup.max_age_hours``,
``failed`` when it is older or the repository cannot be read (wrong password, missing,
restic absent: the reason goes into ``error``), ``never`` when it has no snapshot. The password
reaches restic through its environment only, never the command line or a log line.
"""

import json
import logging
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

from felhom_controller.config import BackupSettings, DbDumpDirectory, ResticRepository

log = logging.getLogger(__name__)


def _status(newest: datetime | None, now: datetime, max_age: timedelta) -> str:
    if newest is None:
        return "never"
    return "ok" if now - newest <= max_age else "failed"


def _restic(args: list[str], repo: ResticRepository, password: str, timeout: float) -> Any:
    restic = shutil.which("restic")
    if restic is None:
        raise RuntimeError("restic is not installed")
    env = {**os.environ, "RESTIC_PASSWORD": password, "RESTIC_REPOSITORY": repo.repository}
    env.pop("RESTIC_PASSWORD_FILE", None)
    done = subprocess.run(
        [restic, *args, "--json", "--no-lock"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise RuntimeError(lines[-1][:300] if lines else f"restic exited {done.returncode}")
    return json.loads(done.stdout)


def restic_entry(repo: ResticRepository, settings: BackupSettings, now: datetime) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": "restic", "target": repo.name, "status": "never"}
    password = repo.password or settings.restic_password
    timeout = settings.command_timeout_seconds
    try:
        snapshots = _restic(["snapshots"], repo, password, timeout) or []
        if snapshots:
            newest = max(snapshots, key=lambda s: s["time"])
            stats = _restic(["stats", "latest"], repo, password, timeout)
            entry["size_bytes"] = int(stats.get("total_size", 0))
            entry["snapshot_id"] = newest.get("short_id") or newest["id"][:8]
            entry["last_success_at"] = datetime.fromisoformat(newest["time"]).isoformat()
            entry["last_run_at"] = entry["last_success_at"]
            entry["snapshots"] = len(snapshots)
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
        log.warning("restic repository %s: %s", repo.name, exc)
        return {**entry, "status": "failed", "error": str(exc)}
    last = entry.get("last_success_at")
    newest_time = datetime.fromisoformat(last) if last else None
    entry["status"] = _status(newest_time, now, timedelta(hours=settings.max_age_hours))
    return entry


def dbdump_entry(dump: DbDumpDirectory, settings: BackupSettings, now: datetime) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": "dbdump", "target": dump.name, "status": "never"}
    try:
        files = [p for p in dump.directory.glob(dump.pattern) if p.is_file()]
        newest = max(files, key=lambda p: p.stat().st_mtime) if files else None
    except OSError as exc:
        log.warning("dump directory %s: %s", dump.directory, exc)
        return {**entry, "status": "failed", "error": f"cannot read {dump.directory}"}
    if newest is None:
        return entry
    stat = newest.stat()
    when = datetime.fromtimestamp(stat.st_mtime, UTC)
    entry.update(
        file=newest.name,
        size_bytes=stat.st_size,
        last_success_at=when.isoformat(),
        last_run_at=when.isoformat(),
        age_hours=round((now - when).total_seconds() / 3600, 2),
        status=_status(when, now, timedelta(hours=settings.max_age_hours)),
    )
    return entry


def collect_backups(settings: BackupSettings, now: datetime) -> list[dict[str, Any]]:
    entries = [restic_entry(repo, settings, now) for repo in settings.restic_repositories]
    entries += [dbdump_entry(dump, settings, now) for dump in settings.dbdump_directories]
    return entries
