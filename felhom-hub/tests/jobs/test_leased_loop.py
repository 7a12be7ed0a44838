"""Two hub processes' job loops (two Database objects on the same data) ticking one job: only
the lease holder runs the body; a holder that dies is replaced once its lease expires, one that
stops cleanly at the other's next tick."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from functools import partial

from prometheus_client import CollectorRegistry
from sqlalchemy import make_url

from felhom_hub.jobs.leases import FLOOR, Leases
from felhom_hub.jobs.loop import JobMetrics, every
from felhom_hub.jobs.schedule import run_daily
from felhom_hub.store import Database, leases
from tests.conftest import FakeClock, sibling
from tests.hub_process import free_port

TICK = timedelta(milliseconds=20)


class Replica:
    def __init__(self, name: str, db: Database, clock: FakeClock, runs: list[str]) -> None:
        self.name, self.stop = name, asyncio.Event()
        self.registry = CollectorRegistry()
        self.leases = Leases(db, holder=name)

        async def body(now: datetime) -> None:
            runs.append(name)

        loop = every("job", TICK, body, clock, self.stop, JobMetrics(self.registry), self.leases)
        self.task = asyncio.create_task(loop)

    def count(self, outcome: str) -> float:
        labels = {"job": "job", "outcome": outcome}
        return self.registry.get_sample_value("felhom_hub_job_runs_total", labels) or 0.0


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


def holder_in(db: Database) -> str | None:
    with db.read() as conn:
        found = leases.holders(conn).get("job")
    return found[0] if found else None


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_only_the_holder_runs_the_tick_and_a_dead_one_is_replaced_after_the_ttl(
    db: Database, clock: FakeClock
) -> None:
    other = sibling(db)
    runs: list[str] = []

    async def scenario() -> None:
        a, b = Replica("a", db, clock, runs), Replica("b", other, clock, runs)
        await until(lambda: a.count("ok") + a.count("skipped") >= 20)
        await until(lambda: b.count("ok") + b.count("skipped") >= 20)
        first = holder_in(db)
        assert first in ("a", "b")
        winner, loser = (a, b) if first == "a" else (b, a)
        assert set(runs) == {winner.name}  # every tick ran once: in the holder, never both
        assert runs.count(winner.name) == winner.count("ok") >= 20
        assert loser.count("ok") == 0 and loser.count("skipped") >= 20

        winner.task.cancel()  # the holder dies mid-life: no release
        await asyncio.gather(winner.task, return_exceptions=True)
        before = len(runs)
        skipped = loser.count("skipped")
        await until(lambda: loser.count("skipped") >= skipped + 5)
        assert len(runs) == before  # the lease has not expired yet: nobody runs the job
        clock.advance(seconds=FLOOR.total_seconds())
        await until(lambda: loser.count("ok") >= 5)
        assert runs[before:] == [loser.name] * len(runs[before:])
        assert holder_in(db) == loser.name
        loser.stop.set()
        await loser.task
        assert holder_in(db) is None  # released on a clean stop

    try:
        run(scenario)
    finally:
        other.dispose()


def test_a_clean_stop_hands_the_job_over_at_the_next_tick(db: Database, clock: FakeClock) -> None:
    other = sibling(db)
    runs: list[str] = []

    async def scenario() -> None:
        a = Replica("a", db, clock, runs)
        await until(lambda: a.count("ok") >= 3)
        b = Replica("b", other, clock, runs)
        await until(lambda: b.count("skipped") >= 3)
        a.stop.set()
        await a.task
        await until(lambda: b.count("ok") >= 3)  # the clock never moved: released, not expired
        assert runs == ["a"] * runs.count("a") + ["b"] * runs.count("b")
        b.stop.set()
        await b.task

    try:
        run(scenario)
    finally:
        other.dispose()


def test_a_lease_the_database_cannot_give_is_a_failed_tick(clock: FakeClock) -> None:
    gone = make_url(f"postgresql://felhom@127.0.0.1:{free_port()}/hub")  # nothing listens
    unreachable = Database(url=gone, password="unused")
    runs: list[str] = []

    async def scenario() -> None:
        a = Replica("a", unreachable, clock, runs)
        await until(lambda: a.count("failed") >= 2)
        a.stop.set()
        await a.task

    try:
        run(scenario)
    finally:
        unreachable.dispose()
    assert runs == []


def test_two_processes_at_a_daily_slot_run_it_once(db: Database) -> None:
    other = sibling(db)
    calls: list[str] = []
    due = datetime(2026, 1, 10, 3, 30, tzinfo=UTC)  # 04:30 in Budapest
    started = time.monotonic()

    def clock() -> datetime:  # real time, from just before the slot
        return due - timedelta(seconds=0.1) + timedelta(seconds=time.monotonic() - started)

    async def scenario() -> None:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(
                run_daily("daily", dtime(4, 30), partial(calls.append), clock, stop, leases)
            )
            for leases in (Leases(db, holder="a"), Leases(other, holder="b"))
        ]
        await until(lambda: bool(calls))
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*tasks)

    try:
        run(scenario)
    finally:
        other.dispose()
    assert len(calls) == 1
