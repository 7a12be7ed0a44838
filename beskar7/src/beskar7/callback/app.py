"""The callback server's HTTP surface (FastAPI): thin wiring over `service`.

| endpoint | auth | answers |
|---|---|---|
| `GET /boot.ipxe` | - | static iPXE entry point for DHCP setups |
| `GET /api/v1/boot/by-mac?mac=` | rate limit | as the per-host endpoint, host found by boot MAC |
| `GET /api/v1/boot/{ns}/{host}[?mac=]` | rate limit | iPXE script (mints the token); opaque 404 |
| `POST /api/v1/inspection/{ns}/{host}` | Bearer | 202; 400, 401, 409, 413 |
| `POST /api/v1/inspection` (v0.4: ns, hostName in body) | Bearer | as above |
| `GET /api/v1/bootstrap/{ns}/{host}` | Bearer | raw bootstrap data; opaque 404 until Provisioning |
| `POST /api/v1/handoff/{ns}/{host}` | Bearer | `{seedURL, format}`; 404 until Provisioning |
| `GET /api/v1/seed/{ns}/{host}/{secret}/{doc}` | URL secret, rate limit | doc once; opaque 404 |
| `POST /api/v1/provisioned/{ns}/{host}` | Bearer or report | 202 (`{"message": ...}`) |
| `POST /api/v1/provision-failed/{ns}/{host}` | Bearer or report | 202 (`{"reason": ...}`) |

`{doc}` is `user-data` or `meta-data`; "report" is the report token the meta-data carries.

Every token-checked call is refused (401) once the host is provisioned.
| `GET /healthz` | - | 200 when the store answers, else 503 |

Store failures answer 503. A paused host (its paused annotation, or spec.paused on the Cluster its
claim labelled it with, as during `clusterctl move`) answers 503 to the state-changing calls and
the wait-and-retry script to a boot. No OpenAPI or docs pages are served.
"""

import asyncio
import logging
from typing import cast

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from beskar7.api.errors import StoreError
from beskar7.api.kinds import PHYSICAL_HOST
from beskar7.callback import boot, deploy, tokens
from beskar7.callback.ratelimit import retry_after_header
from beskar7.callback.service import (
    BadRequestError,
    BootAnswer,
    CallbackError,
    CallbackService,
    Caller,
    TooLargeError,
    TooManyRequestsError,
    UnauthorizedError,
)
from beskar7.callback.settings import DEFAULT_PORT, CallbackSettings, Clock, url_base_for, utc_now
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 3.0
HEALTH_NAMESPACE = "beskar7-system"
"""The health check lists PhysicalHosts here: a cheap question every store can answer."""
MAX_SMALL_BODY = 64 * 1024
"""Bodies of provisioned / provision-failed."""
IPXE_TYPE = "text/plain; charset=utf-8"

router = APIRouter()


def create_app(store: Store, settings: CallbackSettings, *, clock: Clock = utc_now) -> FastAPI:
    app = FastAPI(title="beskar7 callback", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.callback = CallbackService(store, settings, clock)
    app.include_router(router)
    app.add_exception_handler(CallbackError, _callback_error)
    app.add_exception_handler(StoreError, _store_error)
    return app


# -- plumbing ----------------------------------------------------------------------------------


def _service(request: Request) -> CallbackService:
    return cast(CallbackService, request.app.state.callback)


def _base(request: Request) -> str:
    """The configured base URL, else the local address this connection came in on."""
    configured = _service(request).settings.bootstrap_url_base
    if configured:
        return configured
    server = request.scope.get("server")
    if server and server[1] is not None:
        return url_base_for(str(server[0]), int(server[1]))
    return url_base_for("127.0.0.1", DEFAULT_PORT)


def _rate_limit(request: Request) -> None:
    _service(request).rate_limit(request.client.host if request.client else "unknown")


def _ipxe(answer: BootAnswer) -> Response:
    status = 200 if answer.found else 404
    return PlainTextResponse(
        answer.script, status, media_type=IPXE_TYPE, headers={"Cache-Control": "no-store"}
    )


def _accepted() -> Response:
    return JSONResponse({"status": "accepted"}, 202)


async def _authorize(
    request: Request, namespace: str, host: str, *, report: bool = False
) -> Caller:
    token = tokens.bearer_token(request.headers.get("authorization"))
    return await _service(request).authorize(namespace, host, token, report=report)


def _check_length(request: Request, limit: int) -> None:
    """413 at once when the declared length is over `limit` (nothing read)."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.isdigit():
        raise BadRequestError("content-length: must be a number")
    if int(declared) > limit:
        raise TooLargeError()


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as more than `limit` bytes arrive (also chunked)."""
    _check_length(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError()
        chunks.append(chunk)
    return b"".join(chunks)


async def _callback_error(request: Request, exc: Exception) -> Response:
    error = cast(CallbackError, exc)
    headers = {}
    if isinstance(error, UnauthorizedError):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(error, TooManyRequestsError):
        headers["Retry-After"] = retry_after_header(error.retry_after)
    return JSONResponse({"detail": error.detail}, error.status, headers=headers)


async def _store_error(request: Request, exc: Exception) -> Response:
    log.warning("callback %s %s: store error: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": "store unavailable"}, 503)


# -- boot --------------------------------------------------------------------------------------


@router.get("/boot.ipxe")
async def boot_entry(request: Request) -> Response:
    return PlainTextResponse(boot.dhcp_script(_base(request)), media_type=IPXE_TYPE)


@router.get("/api/v1/boot/by-mac")
async def boot_by_mac(request: Request, mac: str | None = None) -> Response:
    _rate_limit(request)
    return _ipxe(await _service(request).boot_by_mac(_base(request), mac))


@router.get("/api/v1/boot/{namespace}/{host}")
async def boot_host(
    request: Request, namespace: str, host: str, mac: str | None = None
) -> Response:
    _rate_limit(request)
    return _ipxe(await _service(request).boot(_base(request), namespace, host, mac))


# -- inspection report -------------------------------------------------------------------------


@router.post("/api/v1/inspection/{namespace}/{host}")
async def inspection(request: Request, namespace: str, host: str) -> Response:
    service = _service(request)
    limit = service.settings.max_body_bytes
    _check_length(request, limit)
    caller = await _authorize(request, namespace, host)
    data = service.parse_body(await _read_body(request, limit))
    await service.accept_report(caller, data)
    return _accepted()


@router.post("/api/v1/inspection")
async def inspection_v04(request: Request) -> Response:
    """The upstream v0.4 form: namespace and hostName in the body, same token required."""
    service = _service(request)
    data = service.parse_body(await _read_body(request, service.settings.max_body_bytes))
    namespace, host = service.envelope(data)
    caller = await _authorize(request, namespace, host)
    await service.accept_report(caller, data)
    return _accepted()


# -- provisioning ------------------------------------------------------------------------------


@router.get("/api/v1/bootstrap/{namespace}/{host}")
async def bootstrap(request: Request, namespace: str, host: str) -> Response:
    caller = await _authorize(request, namespace, host)
    data = await _service(request).bootstrap(caller)
    return Response(
        data, media_type="application/octet-stream", headers={"Cache-Control": "no-store"}
    )


@router.post("/api/v1/handoff/{namespace}/{host}")
async def handoff(request: Request, namespace: str, host: str) -> Response:
    _check_length(request, MAX_SMALL_BODY)
    caller = await _authorize(request, namespace, host)
    await _read_body(request, MAX_SMALL_BODY)
    answer = await deploy.handoff(_service(request), caller, _base(request))
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@router.get("/api/v1/seed/{namespace}/{host}/{secret}/{document}")
async def seed_document(
    request: Request, namespace: str, host: str, secret: str, document: str
) -> Response:
    _rate_limit(request)
    found = await deploy.seed_document(
        _service(request), _base(request), namespace, host, secret, document
    )
    return Response(
        found.body, media_type=found.content_type, headers={"Cache-Control": "no-store"}
    )


@router.post("/api/v1/provisioned/{namespace}/{host}")
async def provisioned(request: Request, namespace: str, host: str) -> Response:
    _check_length(request, MAX_SMALL_BODY)
    caller = await _authorize(request, namespace, host, report=True)
    body = await _read_body(request, MAX_SMALL_BODY)
    await _service(request).provisioned(caller, body)
    return _accepted()


@router.post("/api/v1/provision-failed/{namespace}/{host}")
async def provision_failed(request: Request, namespace: str, host: str) -> Response:
    _check_length(request, MAX_SMALL_BODY)
    caller = await _authorize(request, namespace, host, report=True)
    body = await _read_body(request, MAX_SMALL_BODY)
    await _service(request).provision_failed(caller, body)
    return _accepted()


# -- health ------------------------------------------------------------------------------------


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            await _service(request).store.list(PHYSICAL_HOST, HEALTH_NAMESPACE)
    except (StoreError, TimeoutError) as e:
        log.warning("callback health check: the store does not answer: %s", e)
        return JSONResponse({"status": "unavailable"}, 503)
    return JSONResponse({"status": "ok"})
