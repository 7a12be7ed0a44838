"""Who is asking: the session of a request, its client address, and whether it came over HTTPS."""

import ipaddress
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from felhom_hub.config import Settings
from felhom_hub.web.login_limit import LoginLimiter
from felhom_hub.web.render import environment
from felhom_hub.web.sessions import COOKIE, LIFETIME, Session, SessionCodec, load_or_create_key

MAX_FIELDS = 16


@dataclass
class WebState:
    """What the dashboard keeps for the life of the app (on ``app.state.web``)."""

    settings: Settings
    codec: SessionCodec
    limiter: LoginLimiter

    def __post_init__(self) -> None:
        self.env = environment()
        self.trusted = {ipaddress.ip_address(a) for a in self.settings.auth.trusted_proxies}

    @property
    def open(self) -> bool:
        """No password configured: every visitor is the operator (loopback only, see cli)."""
        return not self.settings.auth.password_hash


def web_state(settings: Settings) -> WebState:
    path = settings.auth.session_secret_file or settings.server.data_dir / "session.key"
    codec = SessionCodec(load_or_create_key(path), settings.auth.password_hash)
    return WebState(settings, codec, LoginLimiter())


@dataclass(frozen=True, slots=True)
class Visitor:
    session: Session
    fresh: bool  # the cookie must be (re)set on the response
    operator: bool  # may see the dashboard


def state(request: Request) -> WebState:
    web: WebState = request.app.state.web
    return web


def visitor(request: Request) -> Visitor:
    web = state(request)
    session = web.codec.load(request.cookies.get(COOKIE))
    if session is None:
        return Visitor(web.codec.new(logged_in=False), True, web.open)
    return Visitor(session, False, session.logged_in or web.open)


def _from_proxy(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host) in state(request).trusted
    except ValueError:
        return False


def client_address(request: Request) -> str:
    """The peer, or the address a trusted proxy says it forwarded for."""
    forwarded = request.headers.get("x-forwarded-for", "")
    if forwarded and _from_proxy(request):
        return forwarded.rsplit(",", 1)[-1].strip()
    return request.client.host if request.client else "unknown"


def over_https(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    proto = request.headers.get("x-forwarded-proto", "")
    return proto.strip().lower() == "https" and _from_proxy(request)


def set_session(request: Request, response: Response, session: Session) -> Response:
    response.set_cookie(
        COOKIE,
        state(request).codec.dump(session),
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=over_https(request),
        path="/",
    )
    return response


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form's first value per field (the body size is bounded by the app's body
    limit middleware); anything else is an empty form."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    text = (await request.body()).decode("utf-8", "replace")
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # more fields than any dashboard form has
        return {}
    return {name: values[0] for name, values in fields.items()}


def open_dashboard_refusal(settings: Settings) -> str | None:
    """Why the hub must not start with these settings, or None. An empty ``auth.password_hash``
    leaves the dashboard open to anyone who reaches it, which is acceptable only on loopback."""
    if settings.auth.password_hash:
        return None
    host = settings.server.host
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        return None
    return (
        f"auth.password_hash is empty and the hub listens on {host!r}: an open dashboard is "
        "allowed only on loopback (127.0.0.1, ::1). Set auth.password_hash (print one with "
        "'felhom-hub hash-password') or listen on 127.0.0.1."
    )


def shared_keys_refusal(settings: Settings) -> str | None:
    """On PostgreSQL (where several replicas may share the data), why the hub must not start:
    keys made per replica in its data_dir would end sessions and seal configs that the other
    replicas cannot open. Every replica must be given the same keys."""
    if not settings.storage.postgresql:
        return None
    missing = []
    if settings.auth.session_secret_file is None:
        missing.append("auth.session_secret_file")
    if not settings.configs.secret_keys and settings.configs.secret_key_file is None:
        missing.append("configs.secret_keys (or configs.secret_key_file)")
    if not missing:
        return None
    return (
        f"storage.url is PostgreSQL but {' and '.join(missing)} unset: every replica must sign "
        "sessions and seal configs with the same keys, so give them explicitly "
        "(docs/felhom-hub-postgresql.md)"
    )
