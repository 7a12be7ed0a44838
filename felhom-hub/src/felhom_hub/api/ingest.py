"""What controllers push: reports, events, infrastructure backups, notify relay, preferences.

Each handler authenticates, then reads and strictly parses the body (``api/body.py``), checks
the caller may write this customer, and commits in one write transaction on a worker thread
before answering: a 2xx means the row is on disk.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from felhom_hub.alerting.deadman import NodeState
from felhom_hub.alerting.hub_events import recovered
from felhom_hub.api.auth import Caller
from felhom_hub.api.body import documented, parse
from felhom_hub.api.deps import WriteContext
from felhom_hub.api.payloads import EventIn, InfraBackupIn, NotifyIn, PreferencesIn
from felhom_hub.api.report_schema import Report
from felhom_hub.api.responses import Created, Queued, Saved, serialized
from felhom_hub.events import EventType, Severity
from felhom_hub.samples import sample_of
from felhom_hub.store import events, fleet, infra_backups, ingest, notifications, reports

router = APIRouter(prefix="/api/v1", tags=["ingest"])
Handler = Callable[..., Awaitable[Response]]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "not strict JSON (BOM, duplicate keys, NaN, too deep, malformed)"},
    401: {"description": "missing or invalid API key"},
    403: {"description": "the key belongs to another customer"},
    413: {"description": "body larger than server.max_body_bytes"},
    415: {"description": "not JSON, or not UTF-8"},
    429: {"description": "over the key's request rate or daily byte budget"},
    503: {"description": "storage unavailable; nothing was stored"},
    507: {"description": "storage full; nothing was stored"},
}


def _route(
    path: str, model: type[Any], code: int, response: type[Any]
) -> Callable[[Handler], Handler]:
    return router.post(
        path,
        status_code=code,
        response_model=response,
        responses=_ERRORS,
        openapi_extra=documented(model),
    )


@_route("/report", Report, 201, Created)
async def post_report(request: Request, caller: Caller, ctx: WriteContext) -> Response:
    """Store a periodic status report: latest, raw window, samples; re-arm the dead man's
    switch (a node that was stale or down gets its node_recovered event here)."""
    report, body = await parse(request, caller, Report)
    caller.require(report.customer_id)
    db, now, settings = ctx.db, ctx.now, ctx.settings
    summary = reports.ReportSummary(
        customer_id=report.customer_id,
        report_id=0,
        received_at=now,
        controller_version=report.controller_version,
        health=report.health.value,
        hostname=report.hostname,
        controller_url=str(report.controller_url) if report.controller_url else None,
        monitoring_paused=report.monitoring_paused,
    )
    sample = sample_of(report, now=now)

    def store(conn: Any) -> int:
        stored = ingest.add_report(
            conn, summary, body, sample, default_threshold=settings.alerting.stale_threshold
        )
        if stored.was is not NodeState.UP:
            recovered(conn, customer_id=report.customer_id, hostname=report.hostname, now=now)
        return stored.report_id

    report_id = await db.writing(store, key=report.customer_id)
    request.app.state.metrics.reports_ingested.inc()
    return serialized(Created(id=report_id, received_at=now), 201)


@_route("/event", EventIn, 201, Created)
async def post_event(request: Request, caller: Caller, ctx: WriteContext) -> Response:
    """Store a structured event sent by a controller."""
    event, _ = await parse(request, caller, EventIn)
    caller.require(event.customer_id)
    db, now = ctx.db, ctx.now
    event_id = await db.writing(
        lambda conn: events.add(
            conn,
            customer_id=event.customer_id,
            event_type=event.event_type,
            severity=event.severity.value,
            message=event.message,
            details_json=event.details_text(),
            source=event.source,
            occurred_at=event.occurred_at,
            received_at=now,
        ),
        key=event.customer_id,
    )
    return serialized(Created(id=event_id, received_at=now), 201)


@_route("/infra-backup", InfraBackupIn, 201, Created)
async def post_infra_backup(request: Request, caller: Caller, ctx: WriteContext) -> Response:
    """Store an infrastructure snapshot for disaster recovery (the newest N are kept)."""
    backup, _ = await parse(request, caller, InfraBackupIn)
    caller.require(backup.customer_id)
    db, now, settings = ctx.db, ctx.now, ctx.settings
    keep = settings.retention.infra_backup_versions
    vault = request.app.state.vault

    def store(conn: Any) -> int:
        backup_id = infra_backups.add(  # sealed: restic passwords, the controller.yaml
            conn,
            customer_id=backup.customer_id,
            received_at=now,
            body=vault.seal_text(backup.model_dump_json()),
            sealed_with=vault.key_id,
        )
        infra_backups.trim(conn, customer_id=backup.customer_id, keep=keep)
        fleet.ensure(conn, customer_id=backup.customer_id)  # known now, even before a report
        return backup_id

    backup_id = await db.writing(store, key=backup.customer_id)
    return serialized(Created(id=backup_id, received_at=now), 201)


@_route("/notify", NotifyIn, 202, Queued)
async def post_notify(request: Request, caller: Caller, ctx: WriteContext) -> Response:
    """Legacy relay: stored as a ``notify_relay`` event, which the dispatcher sends to the
    customer's address (else the operator's); the answer is the event's id."""
    notice, _ = await parse(request, caller, NotifyIn)
    caller.require(notice.customer_id)
    db, now = ctx.db, ctx.now
    details = {"subject": notice.subject}
    if notice.event_type is not None:
        details["event_type"] = notice.event_type.value
    event_id = await db.writing(
        lambda conn: events.add(
            conn,
            customer_id=notice.customer_id,
            event_type=EventType.NOTIFY_RELAY.value,
            severity=Severity.WARNING.value,
            message=notice.message,
            details_json=json.dumps(details, sort_keys=True),
            source="controller",
            occurred_at=None,
            received_at=now,
        ),
        key=notice.customer_id,
    )
    return serialized(Queued(id=event_id), 202)


@_route("/preferences", PreferencesIn, 200, Saved)
async def post_preferences(request: Request, caller: Caller, ctx: WriteContext) -> Response:
    """Replace the customer's notification preferences."""
    prefs, _ = await parse(request, caller, PreferencesIn)
    caller.require(prefs.customer_id)
    db, now = ctx.db, ctx.now
    await db.writing(
        lambda conn: notifications.save_preferences(
            conn,
            customer_id=prefs.customer_id,
            email=str(prefs.email),
            enabled_events=[e.value for e in prefs.enabled_events],
            cooldown_hours=prefs.cooldown_hours,
            now=now,
        )
    )
    return serialized(Saved(customer_id=prefs.customer_id), 200)
