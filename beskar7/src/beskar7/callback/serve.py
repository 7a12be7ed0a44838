"""Run the callback app with uvicorn inside the caller's event loop until `stop` is set.

The socket is bound here, so a busy port raises OSError to the caller (uvicorn itself would
exit the process); uvicorn installs no signal handlers (the manager owns SIGINT/SIGTERM).
"""

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Generator

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)

GRACEFUL_SECONDS = 5
KEEP_ALIVE_SECONDS = 60


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; `host` "" or "0.0.0.0" means every IPv4 interface, "::"
    every interface; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host or "0.0.0.0", port), family=family, backlog=1024)
    sock.setblocking(False)
    return sock


async def serve(
    app: FastAPI,
    host: str,
    port: int,
    stop: asyncio.Event,
    *,
    on_listening: Callable[[int], None] | None = None,
) -> None:
    """Serve `app` on `host:port` until `stop` is set, then finish open requests (bounded).
    `on_listening` gets the bound port once connections are accepted."""
    sock = bind(host, port)
    server = _Server(_config(app))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        bound = sock.getsockname()[1]
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        if server.started:
            log.info("callback server listening on %s:%s", host or "0.0.0.0", bound)
            if on_listening is not None:
                on_listening(bound)
        await _until_stopped(stop, task)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


def _config(app: FastAPI) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )


async def _until_stopped(stop: asyncio.Event, task: "asyncio.Task[None]") -> None:
    """Until `stop` is set or the server task ends (its exception is raised)."""
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({stopper, task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task.done():
        task.result()
