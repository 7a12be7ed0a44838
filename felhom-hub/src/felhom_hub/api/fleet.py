"""What operators and controllers read: fleet list, latest report, history, backups, config."""

import json
import re
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, status

from felhom_hub.api.auth import Caller
from felhom_hub.api.deps import AppSettings, Db, Now
from felhom_hub.api.fields import CUSTOMER_ID_PATTERN
from felhom_hub.api.responses import (
    CustomerList,
    CustomerSummary,
    History,
    HistoryItem,
    InfraBackup,
    LatestReport,
)
from felhom_hub.config import Settings
from felhom_hub.secrets import same, token_hash
from felhom_hub.status import CustomerStatus, Health, compute_status
from felhom_hub.status import LatestReport as StatusInput
from felhom_hub.store import customers, infra_backups, reports

router = APIRouter(prefix="/api/v1", tags=["fleet"])

CustomerPath = Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN)]
MAX_PERIOD = timedelta(days=366)
MAX_HISTORY_ROWS = 10_000
_PERIOD = re.compile(r"([1-9][0-9]{0,5})([hd])")
_READ_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "missing or invalid API key"},
    403: {"description": "the key belongs to another customer"},
    404: {"description": "nothing stored for this customer"},
}


def parse_period(text: str) -> timedelta:
    """``"12h"`` or ``"7d"`` → timedelta; ValueError for anything else or beyond 366 days."""
    match = _PERIOD.fullmatch(text)
    if not match:
        raise ValueError(f"period {text!r} must look like '24h' or '7d'")
    amount, unit = int(match.group(1)), match.group(2)
    period = timedelta(hours=amount) if unit == "h" else timedelta(days=amount)
    if period > MAX_PERIOD:
        raise ValueError(f"period {text!r} is longer than 366 days")
    return period


def _status(
    settings: Settings, now: datetime, summary: reports.ReportSummary | None, blocked: bool
) -> CustomerStatus:
    latest = None
    if summary is not None:
        latest = StatusInput(summary.received_at, Health(summary.health), summary.monitoring_paused)
    return compute_status(
        now=now, latest=latest, blocked=blocked, stale_threshold=settings.alerting.stale_threshold
    )


@router.get("/customers", responses=_READ_ERRORS)
async def list_customers(caller: Caller, db: Db, settings: AppSettings, now: Now) -> CustomerList:
    """Every customer (configured or reporting) with its latest report summary and status.

    A per-customer key sees only its own customer.
    """
    with db.read() as conn:
        configs = {c.customer_id: c for c in customers.all_configs(conn)}
        latest = reports.latest_per_customer(conn)
    listed = []
    for customer_id in sorted(configs.keys() | latest.keys()):
        if not caller.may_access(customer_id):
            continue
        config, summary = configs.get(customer_id), latest.get(customer_id)
        blocked = config is not None and config.blocked
        listed.append(
            CustomerSummary(
                customer_id=customer_id,
                status=_status(settings, now, summary, blocked),
                managed=config is not None,
                last_report_at=summary.received_at if summary else None,
                health=summary.health if summary else None,
                hostname=summary.hostname if summary else None,
                controller_version=summary.controller_version if summary else None,
                controller_url=summary.controller_url if summary else None,
            )
        )
    return CustomerList(customers=listed)


@router.get("/customers/{customer_id}", responses=_READ_ERRORS)
async def latest_report(
    customer_id: CustomerPath, caller: Caller, db: Db, settings: AppSettings, now: Now
) -> LatestReport:
    """The customer's latest full report, as the controller sent it."""
    caller.require(customer_id)
    with db.read() as conn:
        stored = reports.latest(conn, customer_id=customer_id)
        config = customers.get(conn, customer_id=customer_id)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report from {customer_id!r} yet")
    blocked = config is not None and config.blocked
    return LatestReport(
        customer_id=customer_id,
        status=_status(settings, now, stored.summary, blocked),
        received_at=stored.summary.received_at,
        report=json.loads(stored.body),
    )


@router.get("/customers/{customer_id}/history", responses=_READ_ERRORS)
async def report_history(
    customer_id: CustomerPath,
    caller: Caller,
    db: Db,
    now: Now,
    period: Annotated[str, Query(description="'<N>h' or '<N>d', at most 366 days")] = "7d",
) -> History:
    """Report summaries and system metrics over the period, oldest first."""
    caller.require(customer_id)
    try:
        since = now - parse_period(period)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    with db.read() as conn:
        rows = reports.history(conn, customer_id=customer_id, since=since, limit=MAX_HISTORY_ROWS)
    items = [
        HistoryItem(
            id=row.summary.id,
            received_at=row.summary.received_at,
            health=row.summary.health,
            hostname=row.summary.hostname,
            controller_version=row.summary.controller_version,
            system=json.loads(row.body).get("system") or {},
        )
        for row in rows
    ]
    return History(customer_id=customer_id, period=period, since=since, reports=items)


@router.get("/infra-backup/{customer_id}", responses=_READ_ERRORS)
async def latest_infra_backup(customer_id: CustomerPath, caller: Caller, db: Db) -> InfraBackup:
    """The newest infrastructure snapshot, for a fresh controller restoring the node."""
    caller.require(customer_id)
    with db.read() as conn:
        stored = infra_backups.latest(conn, customer_id=customer_id)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no infra backup for {customer_id!r}")
    return InfraBackup(
        customer_id=customer_id, received_at=stored.received_at, backup=json.loads(stored.body)
    )


@router.get(
    "/config/{customer_id}",
    responses={
        401: {"description": "unknown customer or wrong retrieval password"},
        403: {"description": "customer is blocked"},
        404: {"description": "no controller.yaml generated yet"},
    },
)
async def controller_config(
    customer_id: CustomerPath,
    db: Db,
    x_retrieval_password: Annotated[str | None, Header()] = None,
) -> None:
    """The generated controller.yaml, authenticated by the customer's retrieval password."""
    with db.read() as conn:
        config = customers.get(conn, customer_id=customer_id)
    given = token_hash(x_retrieval_password or "")
    stored = config.retrieval_password_hash if config else None
    if config is None or stored is None or not same(stored, given):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown customer or wrong X-Retrieval-Password"
        )
    if config.blocked:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"customer {customer_id!r} is blocked")
    raise HTTPException(
        status.HTTP_404_NOT_FOUND, f"no controller.yaml has been generated for {customer_id!r} yet"
    )
