"""Helpers every dashboard route shares: rendering with the session, redirects, CSRF."""

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from felhom_hub.web.guard import Visitor, read_form, set_session, state, visitor
from felhom_hub.web.render import HEADERS, page


def render(
    request: Request, who: Visitor, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    web = state(request)
    full = {
        **context,
        "csrf": web.codec.csrf_token(who.session),
        "operator": who.operator,
        "auth_enabled": not web.open,
        "path": request.url.path,
    }
    response = page(web.env, name, full, status)
    return set_session(request, response, who.session) if who.fresh else response


def redirect(to: str) -> Response:
    return RedirectResponse(to, status_code=303, headers=HEADERS)


def to_login(request: Request) -> Response:
    return redirect("/login")


async def checked_form(request: Request) -> tuple[Visitor, dict[str, str] | None]:
    """The visitor and the posted form, or None for the form when its CSRF token is missing
    or wrong (the caller answers 403 and changes nothing)."""
    who = visitor(request)
    form = await read_form(request)
    token = form.get("csrf", "")
    if who.fresh or not token or not state(request).codec.csrf_ok(who.session, token):
        return who, None
    return who, form


def forbidden(request: Request, who: Visitor) -> Response:
    message = "This form has expired or did not come from this dashboard; reload and retry."
    return render(request, who, "error.html", {"title": "Refused", "message": message}, 403)
