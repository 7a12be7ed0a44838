"""Self-update, triggered by the hub (``POST /api/update``).

- In a container (``update.container`` names it): find the newest ``vX.Y.Z`` tag of
  ``update.image`` in the registry; if it is newer than this version, pull it and replace the
  container through the Engine API (:mod:`felhom_controller.engine_update`). The new
  controller reports ``controller_updated`` when it starts (:func:`report_finished_update`);
  a failure on the way is ``controller_update_failed``.
- Outside a container: run ``update.command`` and report its outcome.

Either runs in a background thread, one at a time, bounded by ``update.timeout_seconds``.
"""

import logging
import subprocess
import threading
from datetime import UTC, datetime
from typing import Any

from felhom_controller import __version__
from felhom_controller.collect.containers import EngineClient, EngineError
from felhom_controller.cycle import Controller
from felhom_controller.engine_update import (
    finish_update,
    pull,
    record_pending,
    replace_container,
    retire_old,
)
from felhom_controller.events import Event
from felhom_controller.registry import RegistryClient, RegistryError, is_newer, newest
from felhom_controller.vocabulary import EventType, Severity

log = logging.getLogger(__name__)


def _failed(message: str) -> Event:
    return Event(EventType.CONTROLLER_UPDATE_FAILED, Severity.ERROR, message)


class Updater:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self._running = threading.Lock()
        self.thread: threading.Thread | None = None

    def start(self) -> tuple[int, dict[str, Any]]:
        """Start the update; (HTTP status, body) for the API."""
        update = self.controller.settings.update
        if not update.container and not update.command:
            return 409, {"detail": "neither update.container nor update.command is configured"}
        if not self._running.acquire(blocking=False):
            return 409, {"detail": "an update is already running"}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return 202, {"status": "started"}

    def _run(self) -> None:
        try:
            if self.controller.settings.update.container:
                event = self._container_update()
            else:
                event = self._command_update(list(self.controller.settings.update.command))
            if event is not None:
                log.info("update: %s", event.message)
                self.controller.emit(event, datetime.now(UTC))
        finally:
            self._running.release()

    def newest_tag(self) -> str | None:
        """The registry's newest version if it is newer than this one."""
        update = self.controller.settings.update
        registry = RegistryClient(
            update.registry_url, update.username, update.token, update.timeout_seconds
        )
        try:
            tag = newest(registry.tags(update.image))
        finally:
            registry.close()
        return tag if tag is not None and is_newer(tag, __version__) else None

    def _container_update(self) -> Event | None:
        settings = self.controller.settings
        update = settings.update
        try:
            tag = self.newest_tag()
            if tag is None:
                log.info("update: %s is the newest version", __version__)
                return None
            host = update.registry_url.split("://", 1)[-1].rstrip("/")
            reference = f"{host}/{update.image}:{tag}"
            with EngineClient(settings.engine.socket, update.timeout_seconds) as engine:
                pull(engine, reference, update.username, update.token)
                replace_container(engine, update.container, reference)
                record_pending(settings.state_dir, __version__, tag)
                retire_old(engine, update.container)  # ends this process if it runs in there
        except (RegistryError, EngineError) as exc:
            return _failed(f"update failed: {exc}")
        return None  # the new controller reports controller_updated when it starts

    def _command_update(self, command: list[str]) -> Event:
        timeout = self.controller.settings.update.timeout_seconds
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            return _failed(f"update command failed to run: {type(exc).__name__}")
        if done.returncode != 0:
            return _failed(f"update command exited {done.returncode}: {done.stderr.strip()[-500:]}")
        message = f"updated: {done.stdout.strip()[-500:] or 'command succeeded'}"
        return Event(EventType.CONTROLLER_UPDATED, Severity.INFO, message)


def report_finished_update(controller: Controller) -> None:
    """At start: if this controller replaced an older one, clean up and say so."""
    settings = controller.settings
    if not settings.update.container or not settings.engine.enabled:
        return
    try:
        with EngineClient(settings.engine.socket, settings.update.timeout_seconds) as engine:
            done = finish_update(settings.state_dir, engine, settings.update.container)
    except EngineError as exc:
        log.warning("could not finish the previous update: %s", exc)
        return
    if done is not None:
        message = f"updated from {done['from']} to {done['to']}"
        event = Event(EventType.CONTROLLER_UPDATED, Severity.INFO, message, done)
        controller.emit(event, datetime.now(UTC))
