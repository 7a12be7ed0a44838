"""Response bodies, declared so the OpenAPI document describes what the hub answers."""

from datetime import datetime
from typing import Any

from fastapi import Response
from pydantic import BaseModel

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


class LatestReport(BaseModel):
    customer_id: str
    status: CustomerStatus
    received_at: datetime
    report: dict[str, Any]


class HistoryItem(BaseModel):
    id: int
    received_at: datetime
    health: str
    hostname: str
    controller_version: str
    system: dict[str, Any]


class History(BaseModel):
    customer_id: str
    period: str
    since: datetime
    reports: list[HistoryItem]


class InfraBackup(BaseModel):
    customer_id: str
    received_at: datetime
    backup: dict[str, Any]


class Health(BaseModel):
    status: str
    version: str


def serialized(model: BaseModel, status_code: int) -> Response:
    """Answer with ``model`` already serialized, skipping FastAPI's re-validation of it.

    Used on the ingest hot path; the route still declares ``response_model`` for the docs.
    """
    return Response(model.model_dump_json(), status_code, media_type="application/json")
