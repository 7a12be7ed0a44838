"""Maintenance windows per customer: events are still recorded, notifications are skipped."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel, Field, model_validator

from felhom_hub.api.auth import Caller
from felhom_hub.api.deps import Db, Now
from felhom_hub.api.fields import Timestamp
from felhom_hub.api.fleet import READ_ERRORS, CustomerPath
from felhom_hub.store import maintenance

router = APIRouter(prefix="/api/v1", tags=["maintenance"])


class WindowIn(BaseModel):
    starts_at: Timestamp
    ends_at: Timestamp
    reason: Annotated[str, Field(max_length=500)] = ""

    @model_validator(mode="after")
    def _ordered(self) -> "WindowIn":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class WindowOut(BaseModel):
    id: int
    customer_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str


class WindowList(BaseModel):
    customer_id: str
    windows: list[WindowOut]


def _out(window: maintenance.Window) -> WindowOut:
    return WindowOut(
        id=window.id,
        customer_id=window.customer_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        reason=window.reason,
    )


@router.post("/customers/{customer_id}/maintenance", status_code=201, responses=READ_ERRORS)
async def add_window(
    customer_id: CustomerPath, window: WindowIn, caller: Caller, db: Db, now: Now
) -> WindowOut:
    """Open a maintenance window (times with a zone; the end after the start)."""
    caller.require(customer_id)
    window_id = await db.writing(
        lambda conn: maintenance.add(
            conn,
            customer_id=customer_id,
            starts_at=window.starts_at,
            ends_at=window.ends_at,
            reason=window.reason,
            now=now,
        )
    )
    return WindowOut(id=window_id, customer_id=customer_id, **window.model_dump())


@router.get("/customers/{customer_id}/maintenance", responses=READ_ERRORS)
async def list_windows(customer_id: CustomerPath, caller: Caller, db: Db, now: Now) -> WindowList:
    """The customer's windows that have not ended, soonest first."""
    caller.require(customer_id)
    found = await db.reading(
        lambda conn: maintenance.windows(conn, customer_id=customer_id, ending_after=now)
    )
    return WindowList(customer_id=customer_id, windows=[_out(w) for w in found])


@router.delete(
    "/customers/{customer_id}/maintenance/{window_id}", status_code=204, responses=READ_ERRORS
)
async def remove_window(
    customer_id: CustomerPath,
    window_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    caller: Caller,
    db: Db,
) -> Response:
    """Close a window early (or cancel one that has not begun)."""
    caller.require(customer_id)
    removed = await db.writing(
        lambda conn: maintenance.remove(conn, customer_id=customer_id, window_id=window_id)
    )
    if not removed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such maintenance window")
    return Response(status_code=204)
