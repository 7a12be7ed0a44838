"""Opening and removing a customer's maintenance windows from its page (POST with the CSRF
token, like Block/Unblock). While a window is open, events are recorded but not notified."""

from datetime import datetime

from fastapi import APIRouter
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from felhom_hub.store import Database, fleet, maintenance
from felhom_hub.web.common import checked_form, forbidden, redirect, render, to_login
from felhom_hub.web.guard import Visitor
from felhom_hub.web.maintenance_view import WindowRequest, parse_window

router = APIRouter(include_in_schema=False)


def _add(conn: Connection, customer_id: str, window: WindowRequest, now: datetime) -> bool:
    if not fleet.page(conn, after=None, limit=1, only=customer_id):
        return False
    maintenance.add(
        conn,
        customer_id=customer_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        reason=window.reason,
        now=now,
    )
    return True


def _error(request: Request, who: Visitor, title: str, message: str, status: int) -> Response:
    return render(request, who, "error.html", {"title": title, "message": message}, status)


@router.post("/customers/{customer_id}/maintenance")
async def open_window(request: Request, customer_id: str) -> Response:
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    if not who.operator:
        return to_login(request)
    now: datetime = request.app.state.clock()
    try:
        window = parse_window(form, now)
    except ValueError as exc:
        return _error(request, who, "Bad request", str(exc), 400)
    db: Database = request.app.state.db
    if not await db.writing(lambda conn: _add(conn, customer_id, window, now)):
        return _error(request, who, "Not found", "No such customer.", 404)
    return redirect(f"/customers/{customer_id}#maintenance")


@router.post("/customers/{customer_id}/maintenance/{window_id}/remove")
async def remove_window(request: Request, customer_id: str, window_id: str) -> Response:
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    if not who.operator:
        return to_login(request)
    if not (window_id.isascii() and window_id.isdigit()) or not 1 <= int(window_id) < 2**63:
        return _error(request, who, "Bad request", f"window {window_id!r} is not a number", 400)
    db: Database = request.app.state.db
    removed = await db.writing(
        lambda conn: maintenance.remove(conn, customer_id=customer_id, window_id=int(window_id))
    )
    if not removed:
        message = f"No maintenance window {window_id} for this customer."
        return _error(request, who, "Not found", message, 404)
    return redirect(f"/customers/{customer_id}#maintenance")
