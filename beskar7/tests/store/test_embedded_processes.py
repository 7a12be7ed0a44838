"""Several OS processes on one embedded store file: watching, concurrency, SIGKILL."""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import tests
from beskar7.api.kinds import CONFIG_MAP
from beskar7.store.embedded.store import EmbeddedStore
from tests.fixtures.stores import next_events, watching
from tests.store.embedded_worker import config_map

PROJECT = Path(tests.__file__).resolve().parent.parent  # where `python -m tests...` resolves


@asynccontextmanager
async def worker(*args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`embedded_worker` in its own process, its store open, waiting for `go()`; killed if
    still running when the block ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.store.embedded_worker",
        *args,
        cwd=PROJECT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            assert await process.stdout.readline() == b"ready\n"
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def go(*processes: asyncio.subprocess.Process) -> None:
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()


async def finished(process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(20):
        assert await process.wait() == 0


async def test_watcher_sees_two_other_processes_writes_in_order(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    store = EmbeddedStore(path, poll_interval=0.05)
    try:
        start = (await store.list(CONFIG_MAP)).resource_version
        async with (
            watching(store, CONFIG_MAP, resource_version=start) as watch,
            worker("create", str(path), "a", "30") as a,
            worker("create", str(path), "b", "30") as b,
        ):
            await go(a, b)
            events = await next_events(watch, 60)
            await finished(a)
            await finished(b)
    finally:
        await store.close()
    versions = [int(e.object["metadata"]["resourceVersion"]) for e in events]
    assert versions == list(range(int(start) + 1, int(start) + 61))  # none missed, in order
    assert {e.type for e in events} == {"ADDED"}
    for prefix in "ab":
        names = [
            e.object["metadata"]["name"] for e in events if e.object["data"]["writer"] == prefix
        ]
        assert names == [f"{prefix}-{i}" for i in range(30)]


async def test_concurrent_optimistic_increments_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "counter.db"
    store = EmbeddedStore(path)
    try:
        await store.create(config_map("counter", count="0"))
        async with (
            worker("increment", str(path), "counter", "4", "40") as a,
            worker("increment", str(path), "counter", "4", "40") as b,
        ):
            await go(a, b)
            await finished(a)
            await finished(b)
        final = await store.get(CONFIG_MAP, "default", "counter")
    finally:
        await store.close()
    assert final["data"]["count"] == "320"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    acknowledged: list[str] = []
    async with worker("create", str(path), "k", "0") as process:
        assert process.stdout is not None
        await go(process)
        async with asyncio.timeout(20):
            while len(acknowledged) < 40:
                line = await process.stdout.readline()
                assert line, "the writer stopped early"
                acknowledged.append(line.decode().strip())
        process.send_signal(signal.SIGKILL)
        assert await process.wait() == -signal.SIGKILL
    store = EmbeddedStore(path)
    try:
        stored = {o["metadata"]["name"] for o in (await store.list(CONFIG_MAP)).items}
    finally:
        await store.close()
    assert set(acknowledged) <= stored
