"""What controllers push: reports, events, infrastructure backups, notify relay, preferences.

Each handler validates, checks the caller may write this customer, and commits in one write
transaction before answering: a 2xx means the row is on disk.
"""

from fastapi import APIRouter, Request, Response

from felhom_hub.api.auth import Caller
from felhom_hub.api.deps import Db, Now
from felhom_hub.api.payloads import EventIn, InfraBackupIn, NotifyIn, PreferencesIn
from felhom_hub.api.report_schema import Report
from felhom_hub.api.responses import Created, Queued, Saved, serialized
from felhom_hub.store import events, infra_backups, notifications, reports

router = APIRouter(prefix="/api/v1", tags=["ingest"])

_AUTH_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "missing or invalid API key"},
    403: {"description": "the key belongs to another customer"},
    413: {"description": "body larger than server.max_body_bytes"},
}


@router.post("/report", status_code=201, response_model=Created, responses=_AUTH_ERRORS)
async def post_report(
    report: Report, request: Request, caller: Caller, db: Db, now: Now
) -> Response:
    """Store a periodic status report as received, with its summary columns."""
    caller.require(report.customer_id)
    body = (await request.body()).decode()
    with db.write() as conn:
        report_id = reports.add(
            conn,
            customer_id=report.customer_id,
            received_at=now,
            controller_version=report.controller_version,
            health=report.health.value,
            hostname=report.hostname,
            controller_url=str(report.controller_url) if report.controller_url else None,
            monitoring_paused=report.monitoring_paused,
            body=body,
        )
    return serialized(Created(id=report_id, received_at=now), 201)


@router.post("/event", status_code=201, response_model=Created, responses=_AUTH_ERRORS)
async def post_event(event: EventIn, caller: Caller, db: Db, now: Now) -> Response:
    """Store a structured event sent by a controller."""
    caller.require(event.customer_id)
    with db.write() as conn:
        event_id = events.add(
            conn,
            customer_id=event.customer_id,
            event_type=event.event_type,
            severity=event.severity.value,
            message=event.message,
            details_json=event.details_text(),
            source=event.source,
            occurred_at=event.occurred_at,
            received_at=now,
        )
    return serialized(Created(id=event_id, received_at=now), 201)


@router.post("/infra-backup", status_code=201, response_model=Created, responses=_AUTH_ERRORS)
async def post_infra_backup(backup: InfraBackupIn, caller: Caller, db: Db, now: Now) -> Response:
    """Store an infrastructure snapshot for disaster recovery."""
    caller.require(backup.customer_id)
    with db.write() as conn:
        backup_id = infra_backups.add(
            conn,
            customer_id=backup.customer_id,
            received_at=now,
            body=backup.model_dump_json(),
        )
    return serialized(Created(id=backup_id, received_at=now), 201)


@router.post("/notify", status_code=202, response_model=Queued, responses=_AUTH_ERRORS)
async def post_notify(notice: NotifyIn, caller: Caller, db: Db, now: Now) -> Response:
    """Legacy relay: record the notification; dispatch picks it up from the queue."""
    caller.require(notice.customer_id)
    with db.write() as conn:
        entry_id = notifications.enqueue(
            conn,
            customer_id=notice.customer_id,
            channel="relay",
            event_type=notice.event_type.value if notice.event_type else None,
            subject=notice.subject,
            message=notice.message,
            now=now,
        )
    return serialized(Queued(id=entry_id), 202)


@router.post("/preferences", response_model=Saved, responses=_AUTH_ERRORS)
async def post_preferences(prefs: PreferencesIn, caller: Caller, db: Db, now: Now) -> Response:
    """Replace the customer's notification preferences."""
    caller.require(prefs.customer_id)
    with db.write() as conn:
        notifications.save_preferences(
            conn,
            customer_id=prefs.customer_id,
            email=str(prefs.email),
            enabled_events=[e.value for e in prefs.enabled_events],
            cooldown_hours=prefs.cooldown_hours,
            now=now,
        )
    return serialized(Saved(customer_id=prefs.customer_id), 200)
