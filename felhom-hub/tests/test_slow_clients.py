"""Slow and unauthenticated uploads against the real server: the key is checked before the body
is read, a body that stalls is cut off, and the bytes in flight are bounded."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hub_process import GLOBAL_KEY, HubProcess, start_hub

pytestmark = pytest.mark.slow


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    extra = '  body_timeout: "2s"\n  max_inflight_body_bytes: 3000000\n'
    process = start_hub(tmp_path, server_extra=extra)
    yield process
    process.stop()


def open_upload(hub: HubProcess, key: str, declared: int, sent: bytes) -> socket.socket:
    """Start a POST that declares ``declared`` body bytes and sends only ``sent``."""
    port = int(hub.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"POST /api/v1/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {key}\r\nContent-Length: {declared}\r\n\r\n"
    )
    sock.sendall(head.encode() + sent)
    return sock


def status_of(sock: socket.socket) -> int:
    data = sock.recv(4096)
    return int(data.split()[1])


def test_an_unknown_key_is_refused_without_waiting_for_the_body(hub: HubProcess) -> None:
    sock = open_upload(hub, "not-a-key-000000000000", 1_000_000, b'{"customer_id":')
    began = time.monotonic()
    assert status_of(sock) == 401
    assert time.monotonic() - began < 1.5  # well before the 2 s body timeout
    sock.close()


def test_a_stalled_body_is_cut_off_with_408(hub: HubProcess) -> None:
    sock = open_upload(hub, GLOBAL_KEY, 100_000, b'{"customer_id":"acme",')
    began = time.monotonic()
    assert status_of(sock) == 408
    assert 1.5 < time.monotonic() - began < 6
    sock.close()


def test_bytes_in_flight_are_bounded(hub: HubProcess) -> None:
    # Three stalled 900 KB uploads hold 2.7 MB of the 3 MB allowance: the fourth must wait.
    held = [open_upload(hub, GLOBAL_KEY, 900_000, b"{") for _ in range(3)]
    time.sleep(0.3)
    fourth = open_upload(hub, GLOBAL_KEY, 900_000, b"{")
    assert status_of(fourth) == 503
    for sock in [*held, fourth]:
        sock.close()
