"""Fixtures for the inspector: recorded trees, fake commands on PATH, a loopback callback API
(the doubles themselves are in doubles.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.inspector.doubles import TOKEN, ApiServer, CmdlineFor, FakeBin, handler_for


@pytest.fixture
def fake_bin(tmp_path: Path) -> FakeBin:
    directory = tmp_path / "bin"
    directory.mkdir()
    return FakeBin(directory=directory, kexec_log=tmp_path / "kexec.log")


@pytest.fixture
def api() -> Iterator[ApiServer]:
    server_state = ApiServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(server_state))
    server.daemon_threads = True
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def cmdline_for(api: ApiServer) -> CmdlineFor:
    """A kernel command line pointing at the loopback API; keyword arguments add parameters."""

    def build(target: str = "/images/target.tar.gz", **extra: str) -> str:
        words = [
            "BOOT_IMAGE=/vmlinuz",
            "console=ttyS0,115200",
            "console=tty0",
            f"beskar7.api={api.url}",
            f"beskar7.token={TOKEN}",
            "beskar7.namespace=default",
            "beskar7.host=vm-01",
            f"beskar7.target={api.url}{target}",
            "BOOTIF=01-52-54-00-12-34-56",
        ]
        words += [f"beskar7.{name.replace('_', '-')}={value}" for name, value in extra.items()]
        return " ".join(words)

    return build
