"""Tiny HTTP servers in the manager's event loop: health probes and Prometheus metrics.

A plain `asyncio.start_server` that answers GET requests from a route table: no framework, no
signal handlers, nothing that could outlive the manager. Bind addresses follow controller-runtime:
":8080" (all interfaces), "127.0.0.1:8080", "[::1]:8080", and "0" disables the server.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from beskar7.runtime.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

READ_TIMEOUT = 5.0
MAX_HEADER_BYTES = 16 * 1024
_OVERSIZED = asyncio.LimitOverrunError


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


Route = Callable[[], Response]


class AddressError(ValueError):
    pass


def parse_bind_address(address: str) -> tuple[str | None, int] | None:
    """(host, port) for a bind address; host None means every interface; None means disabled."""
    address = address.strip()
    if address in ("0", ""):
        return None
    host, sep, port_text = address.rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise AddressError(f"bad bind address {address!r}: expected [host]:port or 0")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise AddressError(f"bad bind address {address!r}: put IPv6 hosts in brackets")
    return (host or None), int(port_text)


class HttpServer:
    """Serves `routes` (path -> handler) on one address until `stop`."""

    def __init__(self, name: str, address: str, routes: dict[str, Route]) -> None:
        self.name = name
        self.address = address
        self.routes = routes
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int | None:
        """The bound port (useful with port 0), None when not serving."""
        if self._server is None or not self._server.sockets:
            return None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        parsed = parse_bind_address(self.address)
        if parsed is None:
            log.info("%s server disabled", self.name)
            return
        host, port = parsed
        self._server = await asyncio.start_server(self._handle, host, port)
        log.info("%s server listening on %s (port %s)", self.name, self.address, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            response, method = self._route(head)
            writer.write(_encode(response, include_body=method != "HEAD"))
            await asyncio.wait_for(writer.drain(), READ_TIMEOUT)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, _OVERSIZED):
            pass  # a slow, broken or oversized request: just hang up
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    def _route(self, head: bytes) -> tuple[Response, str]:
        parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
        if len(parts) != 3 or len(head) > MAX_HEADER_BYTES:
            return Response(HTTPStatus.BAD_REQUEST, b"bad request\n"), ""
        method, target, _ = parts
        if method not in ("GET", "HEAD"):
            return Response(HTTPStatus.METHOD_NOT_ALLOWED, b"method not allowed\n"), method
        handler = self.routes.get(target.split("?", 1)[0])
        if handler is None:
            return Response(HTTPStatus.NOT_FOUND, b"not found\n"), method
        try:
            return handler(), method
        except Exception:
            log.exception("%s server: handler for %s failed", self.name, target)
            return Response(HTTPStatus.INTERNAL_SERVER_ERROR, b"internal error\n"), method


def _encode(response: Response, *, include_body: bool) -> bytes:
    reason = HTTPStatus(response.status).phrase
    head = (
        f"HTTP/1.1 {response.status} {reason}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(response.body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + (response.body if include_body else b"")


def health_server(address: str, ready: Callable[[], bool]) -> HttpServer:
    """/healthz answers while the loop runs; /readyz is 200 once `ready()` (informers synced)."""

    def healthz() -> Response:
        return Response(HTTPStatus.OK, b"ok\n")

    def readyz() -> Response:
        if ready():
            return Response(HTTPStatus.OK, b"ok\n")
        return Response(HTTPStatus.SERVICE_UNAVAILABLE, b"informers not synced\n")

    return HttpServer("health probe", address, {"/healthz": healthz, "/readyz": readyz})


def metrics_server(address: str, metrics: Metrics) -> HttpServer:
    def render() -> Response:
        return Response(HTTPStatus.OK, metrics.render(), CONTENT_TYPE)

    return HttpServer("metrics", address, {"/metrics": render})
