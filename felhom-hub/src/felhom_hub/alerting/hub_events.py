"""Events the hub itself generates (dead man's switch, backup deadlines): stored like a
controller's, so they pass the same dispatcher."""

import json
from datetime import datetime

from sqlalchemy import Connection

from felhom_hub.alerting.deadman import SEVERITY_OF
from felhom_hub.events import EventType, Severity
from felhom_hub.store import events


def hub_event(
    conn: Connection,
    *,
    customer_id: str,
    event_type: EventType,
    message: str,
    details: dict[str, object],
    now: datetime,
) -> int:
    """Store an event the hub generated (it then passes the dispatcher like any other)."""
    return events.add(
        conn,
        customer_id=customer_id,
        event_type=event_type.value,
        severity=SEVERITY_OF.get(event_type, Severity.WARNING).value,
        message=message,
        details_json=json.dumps(details, sort_keys=True),
        source="hub",
        occurred_at=now,
        received_at=now,
    )


def recovered(conn: Connection, *, customer_id: str, hostname: str, now: datetime) -> int:
    """The node_recovered event for a report from a node that was stale or down."""
    return hub_event(
        conn,
        customer_id=customer_id,
        event_type=EventType.NODE_RECOVERED,
        message=f"{hostname} reports again",
        details={},
        now=now,
    )
