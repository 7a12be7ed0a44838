"""Jinja2 pages: autoescaped, controller text made inert, and the dashboard's security headers."""

import unicodedata
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# Scripts, styles and images only from the hub itself; no inline script or style at all.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_KEEP = {"\n", "\t"}


def inert(value: Any) -> Any:
    """Text with control and bidirectional-formatting characters (NUL, U+202E …) shown as
    visible escapes, so a hostname cannot reorder or hide the text around it."""
    if not isinstance(value, str) or isinstance(value, Markup):
        return value
    if value.isprintable():
        return value
    return "".join(
        f"\\u{ord(ch):04x}"
        if ch not in _KEEP and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")
        else ch
        for ch in value
    )


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=inert,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["inert"] = inert
    return env


def page(env: Environment, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    body = env.get_template(name).render(context)
    return HTMLResponse(body, status_code=status, headers=HEADERS)
