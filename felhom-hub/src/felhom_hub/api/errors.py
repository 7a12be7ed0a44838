"""Uniform JSON error answers: body limits (size, time, bytes in flight), validation errors
without echoes, storage faults as 503/507, and a JSON 500 for anything unexpected."""

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from felhom_hub.config import ServerSettings
from felhom_hub.store.faults import StorageFault

log = logging.getLogger(__name__)


class _BodyTooLargeError(Exception):
    pass


class _BodyTimeoutError(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, before any handler sees them; a body
    not received within ``timeout`` seconds with 408; and, while the bodies declared by the
    requests in flight add up to more than ``max_inflight`` bytes, new ones with 503."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_inflight: int, timeout: float) -> None:
        self.app = app
        self.max_bytes, self.max_inflight, self.timeout = max_bytes, max_inflight, timeout
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await _answer(send, 400, "invalid Content-Length header")
            return
        size = min(int(declared or 0), self.max_bytes + 1)
        guard = _BodyGuard(receive, send, self.max_bytes, self.timeout)
        if size > self.max_bytes:
            await guard.refuse()
            return
        if size and self.inflight + size > self.max_inflight:
            await _answer(send, 503, "too many uploads in progress; retry", retry_after=1)
            return
        self.inflight += size
        try:
            with contextlib.suppress(_BodyTooLargeError, _BodyTimeoutError):
                await self.app(scope, guard.receive, guard.send)
        finally:
            self.inflight -= size
        if guard.timed_out and not guard.started:
            await _answer(send, 408, "the request body did not arrive in time")
        elif guard.too_large and not guard.started:
            await guard.refuse()


class _BodyGuard:
    """Counts body bytes as the app reads them; once over the limit, answers 413 instead."""

    def __init__(self, receive: Receive, send: Send, max_bytes: int, timeout: float) -> None:
        self._receive, self._send, self.max_bytes = receive, send, max_bytes
        self.deadline = asyncio.get_running_loop().time() + timeout
        self.seen = 0
        self.too_large = self.started = self.timed_out = False

    async def receive(self) -> Message:
        # asyncio's own timeout: the server runs on asyncio, and anyio's cancel scope cost
        # twice as much on every read of every body.
        try:
            async with asyncio.timeout_at(self.deadline):
                message = await self._receive()
        except TimeoutError:
            self.timed_out = True
            raise _BodyTimeoutError from None
        self.seen += len(message.get("body", b""))
        if self.seen > self.max_bytes:
            self.too_large = True
            raise _BodyTooLargeError
        return message

    async def send(self, message: Message) -> None:
        # Frameworks may turn the receive error into their own 400: answer 413 instead.
        if self.too_large or self.timed_out:
            if message["type"] == "http.response.start" and not self.started:
                if self.timed_out:
                    self.started = True
                    await _answer(self._send, 408, "the request body did not arrive in time")
                else:
                    await self.refuse()
            return
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)

    async def refuse(self) -> None:
        self.started = True
        await _answer(self._send, 413, f"request body is larger than {self.max_bytes} bytes")


async def _answer(send: Send, code: int, detail: str, retry_after: int | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    # Each of these answers leaves (part of) a request body unread: close the connection
    # rather than read and discard the rest (a stalled upload flood would hold every buffer).
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"connection", b"close"),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", b"%d" % retry_after))
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _clean(error: dict[str, Any]) -> dict[str, Any]:
    # Never echo the rejected input back: it may hold secrets (API keys, restic passwords).
    return {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    return JSONResponse(
        {"detail": [_clean(e) for e in errors]}, status.HTTP_422_UNPROCESSABLE_CONTENT
    )


async def _storage_fault(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StorageFault)
    log.error("storage fault on %s %s: %s", request.method, request.url.path, exc.kind.value)
    return JSONResponse(
        {"detail": f"storage unavailable: {exc.kind.value}; nothing was stored"},
        exc.http_status,
        headers={"Retry-After": "30"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal error; see the hub's log"}, 500)


def install(app: FastAPI, *, server: ServerSettings) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StorageFault, _storage_fault)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=server.max_body_bytes,
        max_inflight=server.max_inflight_body_bytes,
        timeout=server.body_timeout.total_seconds(),
    )
