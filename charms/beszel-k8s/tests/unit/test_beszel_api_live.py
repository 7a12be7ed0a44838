"""The hub client over real sockets: the emulated hub served by an HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest

import beszel_api
from beszel_api import BackupInProgressError, HubClient
from tests.unit.fake_hub import FakeHub


def _handler_for(hub: FakeHub) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = httpx.Request(
                self.command,
                f"http://{self.headers['Host']}{self.path}",
                headers=dict(self.headers),
                content=self.rfile.read(length),
            )
            response = hub.handle(request)
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in {"content-length", "transfer-encoding"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        # http.server dispatches on these stdlib-mandated names.
        do_GET = do_POST = do_PATCH = do_DELETE = _serve  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    return Handler


@pytest.fixture
def live_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, FakeHub]]:
    monkeypatch.setattr(beszel_api, "TRANSPORT", None)  # real sockets
    hub = FakeHub(superusers={"root@example.com": "root-password-1"})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(hub))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hub
    server.shutdown()
    server.server_close()


def test_it_talks_to_a_real_http_server(live_url: tuple[str, FakeHub]) -> None:
    url, hub = live_url
    client = HubClient(url)
    assert client.is_healthy()
    client.login("root@example.com", "root-password-1")
    client.create_backup("live_1.zip")
    assert [b.key for b in client.list_backups()] == ["live_1.zip"]
    hub.busy = True
    with pytest.raises(BackupInProgressError):
        client.create_backup("live_2.zip")
    client.close()


def test_it_reports_unreachable_hub() -> None:
    client = HubClient("http://127.0.0.1:9", timeout=1.0)
    assert not client.is_healthy()
