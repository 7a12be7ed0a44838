"""What the operator can do to a customer from its page: block, unblock, delete."""

from datetime import datetime
from enum import StrEnum

from fastapi import APIRouter
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from felhom_hub.store import Database, configs, customers
from felhom_hub.web.common import checked_form, forbidden, redirect, render, to_login
from felhom_hub.web.guard import visitor

router = APIRouter(include_in_schema=False)


class Action(StrEnum):
    BLOCK = "block"
    UNBLOCK = "unblock"
    DELETE = "delete"


def _apply(conn: Connection, action: Action, customer_id: str, now: datetime) -> bool:
    if action is Action.DELETE:  # the config too: reports make it a manual customer again
        had_config = configs.remove(conn, customer_id=customer_id)
        return customers.delete(conn, customer_id=customer_id) or had_config
    status = "blocked" if action is Action.BLOCK else "active"
    return customers.set_status(conn, customer_id=customer_id, status=status, now=now)


@router.get("/customers/{customer_id}/delete")
async def confirm_delete(request: Request, customer_id: str) -> Response:
    """Deleting drops the credentials' hashes for good, so it asks first."""
    who = visitor(request)
    if not who.operator:
        return to_login(request)
    return render(request, who, "confirm_delete.html", {"customer_id": customer_id})


@router.post("/customers/{customer_id}/{action}")
async def act(request: Request, customer_id: str, action: str) -> Response:
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    if not who.operator:
        return to_login(request)
    if action not in Action.__members__.values():
        message = f"Unknown action {action!r}."
        return render(request, who, "error.html", {"title": "Not found", "message": message}, 404)
    chosen = Action(action)
    db: Database = request.app.state.db
    now = request.app.state.clock()
    done = await db.writing(lambda conn: _apply(conn, chosen, customer_id, now))
    if not done:
        message = (
            "Only a customer with a config (managed) can be blocked or unblocked."
            if chosen is not Action.DELETE
            else "No such customer."
        )
        return render(request, who, "error.html", {"title": "Not done", "message": message}, 409)
    return redirect("/configs" if chosen is Action.DELETE else f"/customers/{customer_id}")
