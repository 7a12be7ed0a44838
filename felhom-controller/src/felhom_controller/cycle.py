"""One collection cycle: collect, judge, derive events, queue them and the report, send.

Events and the report are queued (durably) before the observations they came from are saved,
so a crash in between repeats an event rather than losing it.
"""

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from felhom_controller import preferences
from felhom_controller.collect.backups import collect_backups
from felhom_controller.collect.certs import collect_certificates
from felhom_controller.collect.containers import (
    EngineClient,
    EngineError,
    collect_apps,
    collect_containers,
)
from felhom_controller.collect.smart import annotate, smart_verdicts
from felhom_controller.collect.storage import collect_storage
from felhom_controller.collect.system import collect_system
from felhom_controller.config import Settings
from felhom_controller.events import Event, derive, observe
from felhom_controller.files import read_json, write_atomic
from felhom_controller.health import judge
from felhom_controller.hub import HubClient
from felhom_controller.infra_backup import InfraBackupSchedule, build_payload
from felhom_controller.preferences import PreferencesSync
from felhom_controller.report import Collection, build_report
from felhom_controller.sender import Drained, Sender
from felhom_controller.spool import Kind, Spool

log = logging.getLogger(__name__)


def collect(settings: Settings, now: datetime) -> Collection:
    """Everything the report needs; a source that fails becomes a problem, not a crash."""
    problems: list[str] = []
    containers: list[dict[str, Any]] = []
    engine_ok = settings.engine.enabled
    if settings.engine.enabled:
        try:
            with EngineClient(settings.engine.socket, settings.engine.timeout_seconds) as engine:
                containers = collect_containers(engine)
        except EngineError as exc:
            log.warning("containers not collected: %s", exc)
            problems.append(f"container engine unavailable: {exc}")
            engine_ok = False
    storage = collect_storage(settings.storage.mounts, settings.storage.exclude_fs_types)
    if settings.smart.enabled:
        annotate(storage, smart_verdicts(settings.smart.timeout_seconds))
    return Collection(
        system=collect_system(),
        storage=storage,
        containers=containers,
        apps=collect_apps(containers),
        backups=collect_backups(settings.backup, now),
        certificates=collect_certificates(settings.certificates.files, now),
        problems=problems,
        engine_ok=engine_ok,
    )


@dataclass
class CycleResult:
    report: dict[str, Any]
    events: list[Event]
    drained: Drained


class Controller:
    """The node agent's state: settings, the spool, the hub client and the last observations."""

    def __init__(self, settings: Settings, config_file: Path | None = None) -> None:
        self.config_file = config_file
        self.generation = 0  # counts reconfigurations, so the loop can reschedule
        self.wake = threading.Event()  # set when the loop should look again now
        self._said_no_infra_backup = False
        self.lock = threading.RLock()  # the API thread reconfigures; the loop collects
        self._configure(settings)

    def reconfigure(self, settings: Settings) -> None:
        """Use new settings from the next cycle on (a config apply, without a restart)."""
        with self.lock:
            self.hub.close()
            self._configure(settings)
            self.generation += 1
        self.wake.set()

    def _configure(self, settings: Settings) -> None:
        self.settings = settings
        settings.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.state_path = settings.state_dir / "observations.json"
        self.spool = Spool(settings.state_dir / "spool", settings.spool.max_items)
        self.hub = HubClient(settings.hub.url, settings.hub.api_key, settings.hub.timeout_seconds)
        self.preferences = PreferencesSync(settings.state_dir)
        self.infra_backups = InfraBackupSchedule(
            settings.state_dir, timedelta(hours=settings.backup.infra_backup_interval_hours)
        )
        self.sender = Sender(
            self.spool,
            self.hub,
            settings.spool.retry_initial_seconds,
            settings.spool.retry_max_seconds,
        )

    def close(self) -> None:
        self.hub.close()

    def evaluate(self, now: datetime) -> tuple[dict[str, Any], list[Event], dict[str, Any]]:
        """Collect and judge: the report, the new events and the observations (nothing saved)."""
        collection = collect(self.settings, now)
        previous = read_json(self.state_path, {})
        current = observe(collection)
        if not collection.engine_ok:  # an engine outage is not every container vanishing
            current["containers"] = previous.get("containers", {})
            current["apps"] = previous.get("apps", {})
        events = derive(previous, current, self.settings.health)
        findings = judge(collection, self.settings.health)
        spool = {"queued": len(self.spool), "dropped": self.spool.dropped}
        report = build_report(self.settings, collection, findings, now, spool)
        return report, events, current

    def emit(self, event: Event, now: datetime) -> None:
        """Queue one event for the hub (sent on the next drain)."""
        with self.lock:
            self.spool.put(Kind.EVENT, event.payload(self.settings.identity.customer_id, now))

    def drain(self) -> Drained:
        with self.lock:
            return self.sender.run_once()

    def run_once(self, now: datetime) -> CycleResult:
        with self.lock:
            return self._run_once(now)

    def _run_once(self, now: datetime) -> CycleResult:
        report, events, current = self.evaluate(now)
        for event in events:
            log.info("event %s: %s", event.event_type.value, event.message)
            self.emit(event, now)
        self.spool.put(Kind.REPORT, report)
        write_atomic(self.state_path, _json(current))
        self.queue_preferences()
        self.queue_infra_backup(now, report["apps"])
        return CycleResult(report, events, self.sender.run_once())

    def queue_preferences(self) -> None:
        """Queue the notification preferences if they changed since they were last queued."""
        body = preferences.payload(self.settings)
        if body is not None and self.preferences.changed(body):
            self.spool.put(Kind.PREFERENCES, body)
            self.preferences.queued(body)

    def queue_infra_backup(self, now: datetime, apps: list[dict[str, Any]]) -> None:
        """Queue an infrastructure backup when its content changed or a day has passed."""
        body = build_payload(self.settings, self.config_file, apps)
        if body is None:
            if not self._said_no_infra_backup:
                log.warning("no infrastructure backups: backup.restic_password is not set")
                self._said_no_infra_backup = True
            return
        if self.infra_backups.due(body, now):
            self.spool.put(Kind.INFRA_BACKUP, {**body, "created_at": now.isoformat()})
            self.infra_backups.queued(body, now)


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True).encode()
