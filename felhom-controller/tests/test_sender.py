"""Sending the spool through answers the real hub cannot be made to give on demand (5xx, 429
with Retry-After, timeouts), from a scripted HTTP server on loopback."""

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from felhom_controller.hub import HubClient, Outcome, classify, retry_after_seconds
from felhom_controller.sender import Sender
from felhom_controller.spool import Kind, Spool

KEY = "secret-api-key-0123456789"


class Script:
    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str]]] = []
        self.received: list[tuple[str, str, dict[str, object]]] = []
        self.delay = 0.0


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.received.append((self.path, self.headers["Authorization"], body))
            time.sleep(script.delay)
            status, headers = script.answers.pop(0) if script.answers else (201, {})
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"detail": f"scripted {status}"}).encode())
            except BrokenPipeError:  # the client timed out first
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def sender_for(url: str, tmp_path: Path, timeout: float = 5) -> Sender:
    return Sender(Spool(tmp_path, 100), HubClient(url, KEY, timeout), 1.0, 8.0)


def test_5xx_backs_off_exponentially_and_keeps_order(
    scripted: tuple[str, Script], tmp_path: Path
) -> None:
    url, script = scripted
    sender = sender_for(url, tmp_path)
    sender.spool.put(Kind.EVENT, {"n": 1})
    sender.spool.put(Kind.REPORT, {"n": 2})
    script.answers = [(503, {}), (502, {}), (500, {}), (500, {}), (500, {})]
    assert [sender.run_once().retry_in for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    drained = sender.run_once()
    assert (drained.sent, drained.retry_in) == (2, None)
    assert [(path, body) for path, _, body in script.received[-2:]] == [
        ("/api/v1/event", {"n": 1}),
        ("/api/v1/report", {"n": 2}),
    ]
    assert {auth for _, auth, _ in script.received} == {f"Bearer {KEY}"}


def test_429_waits_for_retry_after(scripted: tuple[str, Script], tmp_path: Path) -> None:
    url, script = scripted
    sender = sender_for(url, tmp_path)
    sender.spool.put(Kind.REPORT, {"n": 1})
    script.answers = [(429, {"Retry-After": "42"})]
    assert sender.run_once().retry_in == 42
    assert len(sender.spool) == 1


@pytest.mark.parametrize("status", [400, 413, 415, 422])
def test_a_refused_body_is_set_aside_loudly(
    scripted: tuple[str, Script], tmp_path: Path, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    url, script = scripted
    sender = sender_for(url, tmp_path)
    sender.spool.put(Kind.REPORT, {"n": 1})
    script.answers = [(status, {})]
    drained = sender.run_once()
    assert (drained.rejected, drained.retry_in, len(sender.spool)) == (1, None, 0)
    assert "REJECTED report" in caplog.text and f"scripted {status}" in caplog.text


@pytest.mark.parametrize("status", [401, 403, 408])
def test_auth_failures_are_retried_not_dropped(
    scripted: tuple[str, Script], tmp_path: Path, status: int
) -> None:
    url, script = scripted
    sender = sender_for(url, tmp_path)
    sender.spool.put(Kind.REPORT, {"n": 1})
    script.answers = [(status, {})]
    assert sender.run_once().retry_in == 1.0 and len(sender.spool) == 1


def test_a_slow_hub_times_out_and_nothing_is_lost_or_logged_secretly(
    scripted: tuple[str, Script], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, script = scripted
    script.delay = 1.0
    sender = sender_for(url, tmp_path, timeout=0.2)
    sender.spool.put(Kind.REPORT, {"n": 1})
    with caplog.at_level(logging.DEBUG):
        drained = sender.run_once()
    assert drained.retry_in is not None and len(sender.spool) == 1
    assert "timed out" in caplog.text
    assert KEY not in caplog.text


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Sun, 06 Dec 2026 01:00:30 GMT", now=1796518800.0) == 30
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_classification_of_statuses() -> None:
    def outcome(status: int) -> Outcome:
        return classify(httpx.Response(status, json={"detail": "x"})).outcome

    assert outcome(201) is Outcome.ACKNOWLEDGED
    assert [outcome(s) for s in (401, 403, 404, 408, 429, 500, 503)] == [Outcome.RETRY] * 7
    assert [outcome(s) for s in (400, 409, 413, 415, 422)] == [Outcome.REJECTED] * 5
