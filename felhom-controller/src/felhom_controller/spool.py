"""The outbox: a bounded on-disk FIFO of messages for the hub (reports, events, backups).

Each message is one file ``<sequence>-<kind>.json`` (the sequence is the enqueue time in
nanoseconds, kept increasing), written durably before the controller
counts it as queued, and deleted only after the hub acknowledged it (2xx). When the spool is
full the oldest messages are dropped and counted (the report carries the count). A message the
hub refuses for good (a schema 4xx) moves to ``rejected/``, where the newest few are kept for
inspection. Two writers (``run`` and a manual ``once``) cannot clobber each other: a name is
claimed with a hard link, which fails if it exists.
"""

import json
import logging
import os
import re
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from felhom_controller.files import fsync_dir, read_json, write_atomic, write_temporary

log = logging.getLogger(__name__)
KEEP_REJECTED = 20
_NAME = re.compile(r"^(\d{20})-([a-z-]+)\.json$")


class Kind(StrEnum):
    REPORT = "report"
    EVENT = "event"
    INFRA_BACKUP = "infra-backup"
    PREFERENCES = "preferences"

    @property
    def path(self) -> str:
        return f"/api/v1/{self.value}"


@dataclass(frozen=True, slots=True)
class Message:
    path: Path
    kind: Kind
    body: dict[str, Any]


class Spool:
    def __init__(self, directory: Path, max_items: int) -> None:
        self.directory = directory
        self.rejected_dir = directory / "rejected"
        self.max_items = max_items
        self.rejected_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._counters = directory / "counters.json"

    def _names(self) -> list[str]:
        return sorted(n for n in os.listdir(self.directory) if _NAME.match(n))

    def __len__(self) -> int:
        return len(self._names())

    @property
    def dropped(self) -> int:
        """How many messages were dropped because the spool was full, ever."""
        return int(read_json(self._counters, {}).get("dropped", 0))

    def put(self, kind: Kind, body: dict[str, Any]) -> None:
        """Queue ``body`` durably; drop the oldest messages if this overfills the spool."""
        data = json.dumps(body, separators=(",", ":")).encode()
        tmp = write_temporary(self.directory, data)
        names = self._names()
        sequence = max(time.time_ns(), int(names[-1][:20]) + 1 if names else 0)
        for _ in range(1000):  # bounded: each failure means another writer took the name
            try:
                os.link(tmp, self.directory / f"{sequence:020d}-{kind.value}.json")
                break
            except FileExistsError:
                sequence += 1
        tmp.unlink()
        fsync_dir(self.directory)
        self._trim()

    def _trim(self) -> None:
        names = self._names()
        excess = len(names) - self.max_items
        if excess <= 0:
            return
        for name in names[:excess]:
            (self.directory / name).unlink(missing_ok=True)
        log.error("spool full (%d messages): dropped the %d oldest", self.max_items, excess)
        write_atomic(self._counters, json.dumps({"dropped": self.dropped + excess}).encode())

    def peek(self) -> Message | None:
        """The oldest queued message (unreadable files are moved aside, not retried)."""
        for name in self._names():
            path = self.directory / name
            try:
                body = json.loads(path.read_bytes())
            except FileNotFoundError:
                continue
            except ValueError:
                log.error("spool file %s is not JSON; moving it to rejected/", name)
                self._move_to_rejected(path)
                continue
            kind = Kind(_NAME.match(name).group(2))  # type: ignore[union-attr]
            return Message(path, kind, body)
        return None

    def ack(self, message: Message) -> None:
        message.path.unlink(missing_ok=True)

    def reject(self, message: Message) -> None:
        self._move_to_rejected(message.path)

    def _move_to_rejected(self, path: Path) -> None:
        os.replace(path, self.rejected_dir / path.name)
        for old in sorted(self.rejected_dir.iterdir())[:-KEEP_REJECTED]:
            old.unlink(missing_ok=True)
