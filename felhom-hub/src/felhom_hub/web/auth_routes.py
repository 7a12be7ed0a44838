"""Login and logout."""

import anyio.to_thread
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from felhom_hub.secrets import verify_and_upgrade
from felhom_hub.store import Database, operator
from felhom_hub.web.common import checked_form, forbidden, redirect, render
from felhom_hub.web.guard import client_address, set_session, state, visitor

router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login_form(request: Request) -> Response:
    who = visitor(request)
    if who.operator:
        return redirect("/")
    return render(request, who, "login.html", {"error": None})


@router.post("/login")
async def login(request: Request) -> Response:
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    web, client = state(request), client_address(request)
    wait = web.limiter.retry_after(client)
    if wait:
        error = f"Too many failed attempts; try again in {wait} seconds."
        response = render(request, who, "login.html", {"error": error}, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    if not await _password_ok(request, form.get("password", "")):
        web.limiter.failed(client)
        return render(request, who, "login.html", {"error": "Wrong password."}, 401)
    web.limiter.succeeded(client)
    fresh = web.codec.new(logged_in=True)  # a new nonce: a planted cookie stays logged out
    return set_session(request, redirect("/"), fresh)


async def _password_ok(request: Request, password: str) -> bool:
    """Check the password (on a worker thread: Argon2 takes tens of milliseconds) against the
    configured hash, or the Argon2 hash that replaced a legacy bcrypt one; replace it so now."""
    configured = state(request).settings.auth.password_hash
    if not configured:
        return False
    db: Database = request.app.state.db
    upgraded = await db.reading(lambda conn: operator.upgraded_hash(conn, configured=configured))
    valid, better = await anyio.to_thread.run_sync(
        verify_and_upgrade, password, upgraded or configured
    )
    if valid and better:
        now = request.app.state.clock()
        await db.writing(
            lambda conn: operator.save_upgrade(
                conn, configured=configured, password_hash=better, now=now
            )
        )
    return valid


@router.post("/logout")
async def logout(request: Request) -> Response:
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    return set_session(request, redirect("/login"), state(request).codec.new(logged_in=False))
