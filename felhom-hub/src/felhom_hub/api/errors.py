"""Uniform 4xx answers: request-size limit, malformed JSON, validation errors without echoes."""

import contextlib
import json
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _BodyTooLargeError(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, before any handler sees them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await _answer(send, 400, "invalid Content-Length header")
            return
        guard = _BodyGuard(receive, send, self.max_bytes)
        if declared is not None and int(declared) > self.max_bytes:
            await guard.refuse()
            return
        with contextlib.suppress(_BodyTooLargeError):
            await self.app(scope, guard.receive, guard.send)
        if guard.too_large and not guard.started:
            await guard.refuse()


class _BodyGuard:
    """Counts body bytes as the app reads them; once over the limit, answers 413 instead."""

    def __init__(self, receive: Receive, send: Send, max_bytes: int) -> None:
        self._receive, self._send, self.max_bytes = receive, send, max_bytes
        self.seen = 0
        self.too_large = self.started = False

    async def receive(self) -> Message:
        message = await self._receive()
        self.seen += len(message.get("body", b""))
        if self.seen > self.max_bytes:
            self.too_large = True
            raise _BodyTooLargeError
        return message

    async def send(self, message: Message) -> None:
        # Frameworks may turn the receive error into their own 400: answer 413 instead.
        if self.too_large:
            if message["type"] == "http.response.start" and not self.started:
                await self.refuse()
            return
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)

    async def refuse(self) -> None:
        self.started = True
        await _answer(self._send, 413, f"request body is larger than {self.max_bytes} bytes")


async def _answer(send: Send, code: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _clean(error: dict[str, Any]) -> dict[str, Any]:
    # Never echo the rejected input back: it may hold secrets (API keys, restic passwords).
    return {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    content_type = request.headers.get("content-type", "application/json").lower()
    if request.method == "POST" and "json" not in content_type:
        return JSONResponse(
            {"detail": "send the body as JSON with 'Content-Type: application/json'"},
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        )
    malformed = [e for e in errors if e["type"] == "json_invalid"]
    if malformed:
        reason = malformed[0].get("ctx", {}).get("error", "invalid JSON")
        return JSONResponse({"detail": f"malformed JSON: {reason}"}, status.HTTP_400_BAD_REQUEST)
    return JSONResponse(
        {"detail": [_clean(e) for e in errors]}, status.HTTP_422_UNPROCESSABLE_CONTENT
    )


def install(app: FastAPI, *, max_body_bytes: int) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
