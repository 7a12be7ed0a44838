"""Self-update outside a container: run the configured update command, report the outcome.

The command runs in a background thread, bounded by ``update.timeout_seconds``; its result
becomes ``controller_updated`` or ``controller_update_failed``. (Replacing the controller's own
container through the Engine API is not built yet; see docs/felhom-controller.md.)
"""

import logging
import subprocess
import threading
from datetime import UTC, datetime
from typing import Any

from felhom_controller.cycle import Controller
from felhom_controller.events import Event
from felhom_controller.vocabulary import EventType, Severity

log = logging.getLogger(__name__)


class Updater:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self._running = threading.Lock()
        self.thread: threading.Thread | None = None

    def start(self) -> tuple[int, dict[str, Any]]:
        """Start the update; (HTTP status, body) for the API."""
        command = self.controller.settings.update.command
        if not command:
            return 409, {"detail": "no update.command is configured"}
        if not self._running.acquire(blocking=False):
            return 409, {"detail": "an update is already running"}
        self.thread = threading.Thread(target=self._run, args=(list(command),), daemon=True)
        self.thread.start()
        return 202, {"status": "started"}

    def _run(self, command: list[str]) -> None:
        try:
            event = self._outcome(command)
            log.info("update: %s", event.message)
            self.controller.emit(event, datetime.now(UTC))
        finally:
            self._running.release()

    def _outcome(self, command: list[str]) -> Event:
        timeout = self.controller.settings.update.timeout_seconds
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            message = f"update command failed to run: {type(exc).__name__}"
            return Event(EventType.CONTROLLER_UPDATE_FAILED, Severity.ERROR, message)
        if done.returncode != 0:
            message = f"update command exited {done.returncode}: {done.stderr.strip()[-500:]}"
            return Event(EventType.CONTROLLER_UPDATE_FAILED, Severity.ERROR, message)
        message = f"updated: {done.stdout.strip()[-500:] or 'command succeeded'}"
        return Event(EventType.CONTROLLER_UPDATED, Severity.INFO, message)
