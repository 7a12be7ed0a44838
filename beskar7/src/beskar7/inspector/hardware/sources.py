"""Where the collectors read from: files under a root directory and optional commands."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

COMMAND_TIMEOUT = 30.0


@dataclass(frozen=True)
class Sources:
    """A machine to inspect: `root` ("/" for real) and the PATH its commands are found on.

    Every read tolerates a missing or unreadable file (None / empty); a command that is not on
    PATH, fails or hangs gives None too.
    """

    root: Path = Path("/")
    path: str | None = None
    """PATH for dmidecode, lsblk and ip; None means the environment's."""

    def file(self, relative: str) -> Path:
        return self.root / relative.lstrip("/")

    def read(self, relative: str) -> str | None:
        """The file's text, stripped; None if it cannot be read."""
        try:
            return self.file(relative).read_text(encoding="utf-8", errors="replace").strip()
        except (OSError, ValueError):
            return None

    def exists(self, relative: str) -> bool:
        return os.path.lexists(self.file(relative))

    def listdir(self, relative: str) -> list[str]:
        try:
            return sorted(os.listdir(self.file(relative)))
        except OSError:
            return []

    def readlink_name(self, relative: str) -> str | None:
        """The last component of a symlink's target (a driver link, say)."""
        try:
            return os.path.basename(os.readlink(self.file(relative)))
        except OSError:
            return None

    def run(self, command: str, *args: str) -> str | None:
        """The command's stdout if it is on PATH and exits 0, else None."""
        executable = shutil.which(command, path=self.path)
        if executable is None:
            return None
        try:
            done = subprocess.run(
                [executable, *args],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.debug("%s %s failed: %s", command, " ".join(args), exc)
            return None
        if done.returncode != 0:
            log.debug("%s %s exited %d", command, " ".join(args), done.returncode)
            return None
        return done.stdout


_PLACEHOLDERS = {
    "",
    "0",
    "0123456789",
    "default string",
    "n/a",
    "none",
    "not applicable",
    "not available",
    "not present",
    "not specified",
    "system manufacturer",
    "system product name",
    "system serial number",
    "to be filled by o.e.m.",
    "unknown",
}


def meaningful(value: str | None) -> str | None:
    """`value` stripped, or None when it is empty or a firmware placeholder."""
    if value is None:
        return None
    value = value.strip()
    return None if value.lower() in _PLACEHOLDERS else value


def compact(entry: dict[str, object]) -> dict[str, object]:
    """`entry` without its None and empty-string values (the schema's omit-empty rule)."""
    return {key: value for key, value in entry.items() if value is not None and value != ""}
