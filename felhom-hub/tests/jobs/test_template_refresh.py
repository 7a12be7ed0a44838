"""The template refresh against real HTTP servers on loopback: Python's http.server as a
process (Last-Modified / If-Modified-Since, as a static file server answers), and a small
server that validates with an ETag like Gitea's raw endpoint (If-None-Match)."""

import base64
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from felhom_hub.app import create_app
from felhom_hub.config import RegistrySettings
from felhom_hub.configs.template import PACKAGE_SOURCE, current
from felhom_hub.jobs import template_refresh
from felhom_hub.store import Database, templates
from tests.configs.helpers import example
from tests.conftest import START, make_settings
from tests.hub_process import free_port

GOOD = example()


@dataclass
class FileServer:
    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/controller.yaml.example"

    def start(self) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1"]
        self.process = subprocess.Popen(
            command, cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("http.server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def serve(self, text: str, mtime: float) -> None:
        path = self.folder / "controller.yaml.example"
        path.write_text(text)
        os.utime(path, (mtime, mtime))


@pytest.fixture
def source(tmp_path: Path) -> Iterator[FileServer]:
    server = FileServer(tmp_path)
    server.serve(GOOD, 1_700_000_000)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def refresh(db: Database, url: str) -> str:
    async with httpx.AsyncClient() as client:
        return await template_refresh.run_once(db, client, url, START)


def stored(db: Database) -> templates.TemplateState:
    with db.read() as conn:
        state = templates.get(conn)
    assert state is not None
    return state


async def test_fetch_then_not_modified_then_new(db: Database, source: FileServer) -> None:
    assert await refresh(db, source.url) == "template updated"
    first = stored(db)
    assert first.body == GOOD and first.last_modified and first.error is None
    assert await refresh(db, source.url) == "template unchanged"  # answered 304
    source.serve(GOOD + "\n# a new comment\n", 1_700_000_100)
    assert await refresh(db, source.url) == "template updated"
    assert stored(db).body == GOOD + "\n# a new comment\n"


async def test_garbage_or_a_down_source_keeps_the_last_good(
    db: Database, source: FileServer
) -> None:
    await refresh(db, source.url)
    for garbage, why in (("key: [unclosed\n", "not valid YAML"), ("- a list\n", "mapping")):
        source.serve(garbage, time.time())
        outcome = await refresh(db, source.url)
        assert outcome.startswith("template kept") and why in outcome
        assert stored(db).body == GOOD and why in (stored(db).error or "")
    missing = source.url.replace("controller.yaml.example", "nothing-here")
    assert "HTTP 404" in await refresh(db, missing)
    source.stop()
    assert "cannot fetch" in await refresh(db, source.url)
    state = stored(db)
    assert state.body == GOOD and "cannot fetch" in (state.error or "")
    template = current(state)
    assert template is not None and template.text == GOOD and template.error == state.error


async def test_nothing_fetched_yet_falls_back_to_the_package_example(db: Database) -> None:
    outcome = await refresh(db, f"http://127.0.0.1:{free_port()}/x")
    assert "cannot fetch" in outcome
    template = current(stored(db))
    assert template is not None and template.source == PACKAGE_SOURCE and template.text == GOOD


@dataclass
class EtagSource:
    body: bytes
    etag: str = '"v1"'
    seen: list[str | None] = field(default_factory=list)
    authorization: list[str | None] = field(default_factory=list)


@pytest.fixture
def etag_source() -> Iterator[tuple[EtagSource, str]]:
    served = EtagSource(GOOD.encode())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.seen.append(self.headers.get("If-None-Match"))
            served.authorization.append(self.headers.get("Authorization"))
            if self.headers.get("If-None-Match") == served.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", served.etag)
            self.send_header("Content-Length", str(len(served.body)))
            self.end_headers()
            self.wfile.write(served.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}/raw/controller.yaml.example"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


async def test_etag_is_sent_back(db: Database, etag_source: tuple[EtagSource, str]) -> None:
    served, url = etag_source
    assert await refresh(db, url) == "template updated"
    assert await refresh(db, url) == "template unchanged"
    assert served.seen == [None, '"v1"']
    assert stored(db).etag == '"v1"'


async def test_an_oversized_template_is_refused(
    db: Database, etag_source: tuple[EtagSource, str]
) -> None:
    served, url = etag_source
    served.body = b"a: '" + b"x" * (template_refresh.MAX_BYTES + 1) + b"'\n"
    assert "larger than" in await refresh(db, url)


def test_the_hub_runs_the_refresh_when_a_url_is_set(tmp_path: Path, source: FileServer) -> None:
    settings = make_settings(tmp_path / "hub", registry={"template_url": source.url})
    database = Database(settings.server.database_path)
    with TestClient(create_app(settings, db=database)):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with database.read() as conn:
                state = templates.get(conn)
            if state is not None:
                break
            time.sleep(0.1)
    assert state is not None and state.body == GOOD and state.source == source.url


async def test_registry_credentials_go_to_the_registrys_host_only(
    db: Database, etag_source: tuple[EtagSource, str]
) -> None:
    served, url = etag_source
    host = url.split("/raw/")[0]
    same = RegistrySettings(image=f"{host}/admin/ctl", username="u", token="t", template_url=url)
    auth = template_refresh.template_auth(same)
    async with httpx.AsyncClient() as client:
        assert await template_refresh.run_once(db, client, url, START, auth) == "template updated"
    assert served.authorization == ["Basic " + base64.b64encode(b"u:t").decode()]
    other = same.model_copy(update={"image": "http://127.0.0.2:1/admin/ctl"})
    assert template_refresh.template_auth(other) is None
    anonymous = same.model_copy(update={"username": "", "token": ""})
    assert template_refresh.template_auth(anonymous) is None
