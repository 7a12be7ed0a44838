"""Login and logout."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from felhom_hub.secrets import verify_password
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
    password_hash = web.settings.auth.password_hash
    if not password_hash or not verify_password(form.get("password", ""), password_hash):
        web.limiter.failed(client)
        return render(request, who, "login.html", {"error": "Wrong password."}, 401)
    web.limiter.succeeded(client)
    fresh = web.codec.new(logged_in=True)  # a new nonce: a planted cookie stays logged out
    return set_session(request, redirect("/"), fresh)


@router.post("/logout")
async def logout(request: Request) -> Response:
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    return set_session(request, redirect("/login"), state(request).codec.new(logged_in=False))
