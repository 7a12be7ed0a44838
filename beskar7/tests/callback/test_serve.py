"""The callback server on a real loopback port (uvicorn in the test's event loop): the whole
protocol over HTTP, body caps on the wire, the derived base URL, start and stop."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from beskar7.callback import create_app, serve
from tests.fixtures.callback import (
    BOOTSTRAP_DATA,
    HOST,
    NS,
    CallbackLab,
    bearer,
    golden_report,
    lab_settings,
    token_of,
)

MIB = 1 << 20
START_TIMEOUT = 10.0


@asynccontextmanager
async def running(lab: CallbackLab, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    """The lab's store served on 127.0.0.1:<free port>; a client for it."""
    app = create_app(lab.store, lab_settings(**settings), clock=lab.clock)
    stop = asyncio.Event()
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(app, "127.0.0.1", 0, stop, on_listening=port.set_result))
    try:
        bound = await asyncio.wait_for(asyncio.shield(port), START_TIMEOUT)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bound}", timeout=10) as client:
            yield client
    finally:
        stop.set()
        await asyncio.wait_for(task, START_TIMEOUT)


async def test_the_protocol_over_real_http(callback_lab: CallbackLab) -> None:
    async with running(callback_lab) as client:
        boot = await client.get(f"/api/v1/boot/{NS}/{HOST}", params={"mac": "52:54:00:aa:bb:01"})
        token = token_of(boot.text)
        report = await client.post(
            f"/api/v1/inspection/{NS}/{HOST}", json=golden_report(), headers=bearer(token)
        )
        early = await client.get(f"/api/v1/bootstrap/{NS}/{HOST}", headers=bearer(token))
        await callback_lab.set_machine_phase("Provisioning")
        data = await client.get(f"/api/v1/bootstrap/{NS}/{HOST}", headers=bearer(token))
        done = await client.post(f"/api/v1/provisioned/{NS}/{HOST}", headers=bearer(token))
        health = await client.get("/healthz")

    assert boot.status_code == 200
    assert "BOOTIF=01-52-54-00-aa-bb-01" in boot.text
    assert report.status_code == 202
    assert early.status_code == 404
    assert (data.status_code, data.content) == (200, BOOTSTRAP_DATA)
    assert done.status_code == 202
    assert health.json() == {"status": "ok"}


async def test_the_base_url_defaults_to_the_listening_address(callback_lab: CallbackLab) -> None:
    async with running(callback_lab, bootstrap_url_base="") as client:
        boot = await client.get(f"/api/v1/boot/{NS}/{HOST}")
        entry = await client.get("/boot.ipxe")

    base = str(client.base_url).rstrip("/")
    assert f"beskar7.api={base} " in boot.text
    assert f"chain --replace {base}/api/v1/boot/by-mac?mac=${{net0/mac}}" in entry.text


def _padded_report(size: int) -> bytes:
    """A valid report of exactly `size` bytes."""
    empty = json.dumps({"manufacturer": ""}).encode()
    return json.dumps({"manufacturer": "x" * (size - len(empty))}).encode()


async def _stream(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_the_body_cap_on_the_wire(callback_lab: CallbackLab) -> None:
    token = await callback_lab.mint()
    url = f"/api/v1/inspection/{NS}/{HOST}"
    headers = {**bearer(token), "Content-Type": "application/json"}
    exact, over = _padded_report(MIB), _padded_report(MIB + 1)
    assert (len(exact), len(over)) == (MIB, MIB + 1)

    async with running(callback_lab) as client:
        at_cap = await client.post(url, content=exact, headers=headers)
        declared = await client.post(url, content=over, headers=headers)
        chunked = await client.post(url, content=_stream(over), headers=headers)
        chunked_ok = await client.post(url, content=_stream(exact), headers=headers)

    assert at_cap.status_code == 202
    assert declared.status_code == 413
    assert chunked.status_code == 413
    assert chunked_ok.status_code == 202


async def test_stop_closes_the_port(callback_lab: CallbackLab) -> None:
    async with running(callback_lab) as client:
        assert (await client.get("/healthz")).status_code == 200
        port = client.base_url.port

    assert port is not None
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 2):
        pass


async def test_a_busy_port_raises_to_the_caller(callback_lab: CallbackLab) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        app = create_app(callback_lab.store, lab_settings())
        with pytest.raises(OSError):
            await asyncio.wait_for(
                serve(app, "127.0.0.1", taken.getsockname()[1], asyncio.Event()), START_TIMEOUT
            )
