"""Health probe and metrics servers over real HTTP on loopback."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from beskar7.controllers.metrics import KindMetrics
from beskar7.runtime.metrics import Metrics
from beskar7.runtime.probes import (
    AddressError,
    HttpServer,
    health_server,
    metrics_server,
    parse_bind_address,
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (":8080", (None, 8080)),
        ("127.0.0.1:8081", ("127.0.0.1", 8081)),
        ("[::1]:8080", ("::1", 8080)),
        ("0.0.0.0:0", ("0.0.0.0", 0)),
        ("localhost:9", ("localhost", 9)),
        ("0", None),
    ],
)
def test_bind_addresses_parse_like_controller_runtime(
    address: str, expected: tuple[str | None, int] | None
) -> None:
    assert parse_bind_address(address) == expected


@pytest.mark.parametrize("address", ["8080", "host:", ":http", "::1:8080", ":70000"])
def test_bad_bind_addresses_are_refused(address: str) -> None:
    with pytest.raises(AddressError):
        parse_bind_address(address)


@pytest.fixture
async def serving() -> AsyncIterator[list[HttpServer]]:
    servers: list[HttpServer] = []
    yield servers
    for server in servers:
        await server.stop()


async def _start(servers: list[HttpServer], server: HttpServer) -> str:
    servers.append(server)
    await server.start()
    return f"http://127.0.0.1:{server.port}"


async def test_healthz_is_ok_and_readyz_follows_readiness(serving: list[HttpServer]) -> None:
    ready = False
    base = await _start(serving, health_server("127.0.0.1:0", lambda: ready))
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        assert (await client.get("/healthz")).status_code == 200
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503
        ready = True
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.post("/healthz")).status_code == 405


async def test_metrics_endpoint_serves_the_registry(serving: list[HttpServer]) -> None:
    metrics = Metrics()
    KindMetrics(metrics.registry)  # the kinds' metrics on the same registry, as the manager has it
    metrics.record_reconcile("physicalhost", "default", "success", 0.01)
    base = await _start(serving, metrics_server("127.0.0.1:0", metrics))
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert (
        'beskar7_controller_reconciliation_total{controller="physicalhost",'
        'namespace="default",outcome="success"} 1.0' in response.text
    )
    assert "# HELP beskar7_controller_physicalhost_power_operations_total" in response.text


async def test_a_failing_handler_answers_500_and_the_server_keeps_serving(
    serving: list[HttpServer],
) -> None:
    def broken() -> object:
        raise RuntimeError("boom")

    server = health_server("127.0.0.1:0", lambda: True)
    server.routes["/broken"] = broken  # type: ignore[assignment]
    base = await _start(serving, server)
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        assert (await client.get("/broken")).status_code == 500
        assert (await client.get("/healthz")).status_code == 200


async def test_garbage_and_silent_clients_do_not_break_the_server(
    serving: list[HttpServer],
) -> None:
    base = await _start(serving, health_server("127.0.0.1:0", lambda: True))
    port = int(base.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"NONSENSE\r\n\r\n")
    reply = await asyncio.wait_for(reader.read(), 5)
    assert reply.startswith(b"HTTP/1.1 400")
    writer.close()
    _, idle = await asyncio.open_connection("127.0.0.1", port)  # connects, never sends
    huge_reader, huge = await asyncio.open_connection("127.0.0.1", port)
    huge.write(b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n")
    with contextlib.suppress(ConnectionResetError):  # unread bytes can make the close a reset
        assert await asyncio.wait_for(huge_reader.read(), 5) == b"", "oversized: hang up"
    huge.close()
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        assert (await client.get("/healthz")).status_code == 200
    idle.close()


async def test_address_zero_disables_the_server() -> None:
    server = health_server("0", lambda: True)
    await server.start()
    assert server.port is None
    await server.stop()
