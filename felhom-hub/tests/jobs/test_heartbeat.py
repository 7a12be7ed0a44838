"""The outbound heartbeat: a fleet summary POSTed to a loopback receiver."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from felhom_hub.config import Settings
from felhom_hub.jobs import heartbeat
from felhom_hub.store import Database
from tests.conftest import GLOBAL_AUTH, FakeClock, report_body


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ping/abc", received
    server.shutdown()
    server.server_close()


async def test_the_heartbeat_carries_counts_and_the_down_customers(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: FakeClock,
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = receiver
    for customer_id, health in (("a", "ok"), ("b", "fail"), ("c", "warn")):
        body = report_body(customer_id, health=health)
        client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH)
    settings.alerting.heartbeat_url = url
    async with httpx.AsyncClient() as http:
        assert await heartbeat.run_once(db, http, settings, clock()) == "heartbeat answered 200"
    [summary] = received
    assert summary["counts"] == {"OK": 1, "DOWN": 1, "WARN": 1}
    assert summary["down"] == ["b"]
