"""Response bodies, declared so the OpenAPI document describes what the hub answers."""

from datetime import datetime
from typing import Any

from fastapi import Response
from pydantic import BaseModel, Field

from felhom_hub.status import CustomerStatus
from felhom_hub.store.events import EventRecord
from felhom_hub.store.series import Point


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
    update_available: bool | None = Field(
        None, description="a newer controller release is in the registry (null: unknown)"
    )


class CustomerList(BaseModel):
    customers: list[CustomerSummary]
    next: str | None = Field(None, description="pass as 'after' for the next page")


class LatestReport(BaseModel):
    customer_id: str
    status: CustomerStatus
    received_at: datetime
    report: dict[str, Any]


class History(BaseModel):
    customer_id: str
    period: str
    resolution: str
    since: datetime
    points: list[Point] = Field(
        description="one per bucket, oldest first: averages over its reports, maxima, the worst"
        " health (0 ok, 1 warn, 2 fail), last values of the rest"
    )


class RawReportItem(BaseModel):
    id: int
    received_at: datetime
    report: dict[str, Any]


class RawReportList(BaseModel):
    customer_id: str
    reports: list[RawReportItem]
    next: int | None = Field(None, description="pass as 'before' for the next page")


class EventList(BaseModel):
    customer_id: str
    events: list[EventRecord]
    next: int | None = Field(None, description="pass as 'before' for the next page")


class InfraBackup(BaseModel):
    customer_id: str
    received_at: datetime
    backup: dict[str, Any]


class Health(BaseModel):
    status: str
    version: str
    engine: str  # sqlite or postgresql
    reason: str | None = None


def serialized(model: BaseModel, status_code: int) -> Response:
    """Answer with ``model`` already serialized, skipping FastAPI's re-validation of it.

    Used on the ingest hot path; the route still declares ``response_model`` for the docs.
    """
    return Response(model.model_dump_json(), status_code, media_type="application/json")
