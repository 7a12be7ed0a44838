"""What the backup deadline checker reads: active customers whose latest report lists backups
of a kind, and whether a completion event of that kind arrived since a moment."""

import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, select

from felhom_hub.store.reports import unpack
from felhom_hub.store.schema import customer_configs, events, fleet, report_dicts


def reporting_customers(conn: Connection, *, batch: int = 500) -> Iterator[tuple[str, set[str]]]:
    """(customer_id, the backup kinds its latest report lists) for every customer that reports,
    is not blocked and has monitoring on; read a batch at a time in id order."""
    after = ""
    while True:
        query = (
            select(fleet.c.customer_id, fleet.c.body, report_dicts.c.body)
            .join(report_dicts, report_dicts.c.id == fleet.c.dict_id)
            .outerjoin(customer_configs, customer_configs.c.customer_id == fleet.c.customer_id)
            .where(fleet.c.customer_id > after, fleet.c.report_id.is_not(None))
            .where(fleet.c.monitoring_paused == 0)
            .where((customer_configs.c.status.is_(None)) | (customer_configs.c.status != "blocked"))
            .order_by(fleet.c.customer_id)
            .limit(batch)
        )
        rows = conn.execute(query).all()
        for customer_id, body, dictionary in rows:
            report = json.loads(unpack(body, dictionary))
            kinds = {b.get("kind") for b in report.get("backups") or [] if isinstance(b, dict)}
            yield customer_id, {k for k in kinds if isinstance(k, str)}
        if len(rows) < batch:
            return
        after = rows[-1][0]


def completed_since(
    conn: Connection, *, customer_id: str, event_type: str, since: datetime
) -> bool:
    query = (
        select(events.c.id)
        .where(events.c.customer_id == customer_id, events.c.received_at >= since)
        .where(events.c.event_type == event_type)
        .limit(1)
    )
    return conn.execute(query).first() is not None
