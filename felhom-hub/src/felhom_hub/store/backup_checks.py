"""What the backup deadline checker reads: active customers whose latest report lists backups
of a kind, and whether a completion event of that kind arrived since a moment."""

import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, select

from felhom_hub.store.reports import unpack
from felhom_hub.store.schema import (
    controller_configs,
    customer_configs,
    events,
    fleet,
    report_dicts,
)


def reporting_customers(conn: Connection, *, batch: int = 500) -> Iterator[tuple[str, set[str]]]:
    """(customer_id, the backup kinds expected of it) for every customer that reports, is not
    blocked and has monitoring on: the kinds its latest report lists, unless its config says
    otherwise (expect_restic / expect_dbdump); read a batch at a time in id order."""
    after = ""
    while True:
        query = (
            select(
                fleet.c.customer_id,
                fleet.c.body,
                report_dicts.c.body,
                controller_configs.c.expect_restic,
                controller_configs.c.expect_dbdump,
            )
            .join(report_dicts, report_dicts.c.id == fleet.c.dict_id)
            .outerjoin(customer_configs, customer_configs.c.customer_id == fleet.c.customer_id)
            .outerjoin(controller_configs, controller_configs.c.customer_id == fleet.c.customer_id)
            .where(fleet.c.customer_id > after, fleet.c.report_id.is_not(None))
            .where(fleet.c.monitoring_paused == 0)
            .where((customer_configs.c.status.is_(None)) | (customer_configs.c.status != "blocked"))
            .order_by(fleet.c.customer_id)
            .limit(batch)
        )
        rows = conn.execute(query).all()
        for customer_id, body, dictionary, restic, dbdump in rows:
            report = json.loads(unpack(body, dictionary))
            kinds = {b.get("kind") for b in report.get("backups") or [] if isinstance(b, dict)}
            found = {k for k in kinds if isinstance(k, str)}
            yield customer_id, _expected(found, {"restic": restic, "dbdump": dbdump})
        if len(rows) < batch:
            return
        after = rows[-1][0]


def _expected(kinds: set[str], overrides: dict[str, int | None]) -> set[str]:
    """The kinds a config expects (1) or excuses (0) win over what the report lists (NULL)."""
    for kind, expected in overrides.items():
        if expected == 1:
            kinds.add(kind)
        elif expected == 0:
            kinds.discard(kind)
    return kinds


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
