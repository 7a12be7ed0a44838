"""Move the reports of the first schema (one uncompressed row per push) into the fleet model.

Every old report becomes a raw report (prune later applies ``retention.raw_days``), feeds the
series, and the newest per customer becomes its ``fleet`` row. Bodies the first hub accepted
but could not serve back (a byte-order mark, lone surrogates, NaN, nesting beyond the bound)
are repaired rather than dropped: surrogates become U+FFFD, a body that still does not parse
is kept as its summary columns plus the original text under ``unreadable_body``.
"""

import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from felhom_hub import strictjson
from felhom_hub.api.report_schema import Report
from felhom_hub.samples import sample_of
from felhom_hub.store import fleet, reports, series
from felhom_hub.store.schema import from_text

BATCH = 1000


def _repaired(text: str) -> str:
    """Without a leading BOM, each lone surrogate replaced by U+FFFD."""
    return text.lstrip("\ufeff").encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _body(row: Any) -> dict[str, Any]:
    text = _repaired(row.body)
    try:
        value = strictjson.loads(text.encode(), lone_surrogates=True)
    except strictjson.JsonError:
        value = None
    if isinstance(value, dict):
        # Escaped surrogates ("\\ud800") only become characters once parsed: repair again.
        repaired: dict[str, Any] = json.loads(_repaired(json.dumps(value, ensure_ascii=False)))
        return repaired
    return {
        "customer_id": row.customer_id,
        "hostname": row.hostname,
        "controller_version": row.controller_version,
        "health": row.health,
        "monitoring_paused": bool(row.monitoring_paused),
        "unreadable_body": text,
    }


def _move(conn: Connection, row: Any) -> None:
    received_at = from_text(row.received_at)
    body = _body(row)
    summary = reports.ReportSummary(
        row.customer_id,
        0,
        received_at,
        row.controller_version,
        row.health,
        row.hostname,
        row.controller_url,
        bool(row.monitoring_paused),
    )
    reports.add(conn, summary, strictjson.dumps(body))
    try:
        report = Report.model_validate(body)
    except ValidationError:
        return  # stored whole; only its chart figures are lost
    sample = sample_of(report, now=received_at)
    series.add(conn, customer_id=row.customer_id, at=received_at, sample=sample)


def upgrade(conn: Connection) -> None:
    last = 0
    while True:
        rows = conn.exec_driver_sql(
            "SELECT * FROM reports WHERE id > ? ORDER BY id LIMIT ?", (last, BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            _move(conn, row)
        last = rows[-1].id
    for (customer_id,) in conn.exec_driver_sql("SELECT customer_id FROM customer_configs"):
        fleet.ensure(conn, customer_id=customer_id)
    conn.exec_driver_sql("DROP TABLE reports")
