"""Storage faults: what can go wrong under the database, and how each is answered (the
SQLite codes here; PostgreSQL's SQLSTATEs in ``store/postgres.py``).

SQLite reports most of them as error codes; two it cannot see at all: the database file
deleted or replaced while the hub keeps the old one open (writes would then "succeed" into an
unlinked file and vanish on restart). ``FileIdentity`` catches those by comparing the open
file's device and inode with the path's.
"""

import os
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class FaultKind(StrEnum):
    MISSING = "database file was deleted"
    REPLACED = "database file was replaced by one that does not open"
    CORRUPT = "database file is corrupt"
    FULL = "disk or database is full"
    IO = "disk I/O error"
    READ_ONLY = "database is read-only"
    BUSY = "database is busy"
    UNREADABLE = "database does not open"
    UNAVAILABLE = "database server does not answer"
    REFUSED = "database server refused the hub's login"


# SQLite primary result codes (the low byte of sqlite_errorcode).
_CODES = {
    5: FaultKind.BUSY,  # SQLITE_BUSY (after busy_timeout)
    8: FaultKind.READ_ONLY,  # SQLITE_READONLY
    10: FaultKind.IO,  # SQLITE_IOERR
    11: FaultKind.CORRUPT,  # SQLITE_CORRUPT
    13: FaultKind.FULL,  # SQLITE_FULL
    14: FaultKind.UNREADABLE,  # SQLITE_CANTOPEN
    26: FaultKind.CORRUPT,  # SQLITE_NOTADB
}
# Faults that a later successful write proves gone; the others need the file fixed.
_TRANSIENT = {
    FaultKind.FULL,
    FaultKind.IO,
    FaultKind.BUSY,
    FaultKind.READ_ONLY,
    FaultKind.UNAVAILABLE,
}


class StorageFault(Exception):  # noqa: N818 - a condition of the disk, not a bug
    """The database cannot serve the request; ``kind`` says why (safe to show)."""

    def __init__(self, kind: FaultKind) -> None:
        super().__init__(kind.value)
        self.kind = kind

    @property
    def clears_on_write(self) -> bool:
        return self.kind in _TRANSIENT

    @property
    def http_status(self) -> int:
        return 507 if self.kind is FaultKind.FULL else 503


def classify(error: BaseException | None) -> StorageFault | None:
    """The fault behind a driver error, or None for errors that are the caller's bug."""
    if not isinstance(error, sqlite3.Error):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    kind = _CODES.get(code & 0xFF) if isinstance(code, int) else None
    return None if kind is None else StorageFault(kind)


@dataclass(frozen=True, slots=True)
class FileIdentity:
    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> "FileIdentity | None":
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return None
        return cls(stat.st_dev, stat.st_ino)
