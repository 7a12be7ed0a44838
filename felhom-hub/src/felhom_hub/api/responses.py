"""Response bodies, declared so the OpenAPI document describes what the hub answers."""

from datetime import datetime
from typing import Any

from fastapi import Response
from pydantic import BaseModel, Field

from felhom_hub.status import CustomerStatus


class Created(BaseModel):
    id: int
    received_at: datetime


class Queued(BaseModel):
    id: int
    status: str = "queued"


class Saved(BaseModel):
    customer_id: str
    status: str = "saved"


class CustomerSummary(BaseModel):
    customer_id: str
    status: CustomerStatus
    managed: bool
    last_report_at: datetime | None
    health: str | None
    hostname: str | None
    controller_version: str | None
    controller_url: str | None


class CustomerList(BaseModel):
    customers: list[CustomerSummary]
    next: str | None = Field(None, description="pass as 'after' for the next page")


class LatestReport(BaseModel):
    customer_id: str
    status: CustomerStatus
    received_at: datetime
    report: dict[str, Any]


class Point(BaseModel):
    """One bucket: averages over the reports in it, maxima, the worst health, last values."""

    at: datetime
    reports: int
    health: int = Field(description="worst health in the bucket: 0 ok, 1 warn, 2 fail")
    cpu_percent: float | None
    cpu_percent_max: float | None
    load1: float | None
    load1_max: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    swap_used_bytes: int | None
    swap_total_bytes: int | None
    disk_used_percent_max: float | None
    disks: dict[str, float] = Field(description="mount point -> used percent (last value)")
    containers_total: int
    containers_running: int
    containers_unhealthy: int
    restic_backup_age_seconds: int | None
    dbdump_age_seconds: int | None


class History(BaseModel):
    customer_id: str
    period: str
    resolution: str
    since: datetime
    points: list[Point]


class RawReportItem(BaseModel):
    id: int
    received_at: datetime
    report: dict[str, Any]


class RawReportList(BaseModel):
    customer_id: str
    reports: list[RawReportItem]
    next: int | None = Field(None, description="pass as 'before' for the next page")


class EventItem(BaseModel):
    id: int
    event_type: str
    severity: str
    message: str
    details: dict[str, Any]
    source: str
    occurred_at: datetime | None
    received_at: datetime


class EventList(BaseModel):
    customer_id: str
    events: list[EventItem]
    next: int | None = Field(None, description="pass as 'before' for the next page")


class InfraBackup(BaseModel):
    customer_id: str
    received_at: datetime
    backup: dict[str, Any]


class Health(BaseModel):
    status: str
    version: str
    reason: str | None = None


def serialized(model: BaseModel, status_code: int) -> Response:
    """Answer with ``model`` already serialized, skipping FastAPI's re-validation of it.

    Used on the ingest hot path; the route still declares ``response_model`` for the docs.
    """
    return Response(model.model_dump_json(), status_code, media_type="application/json")
