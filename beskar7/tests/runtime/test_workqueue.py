"""The work queue: de-duplication, one worker per key, dirty re-adds, delays and backoff."""

import asyncio
import random

import pytest

from beskar7.runtime.workqueue import ExponentialBackoff, QueueShutDownError, WorkQueue


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_adding_a_queued_key_is_a_no_op() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for key in ("a", "b", "a", "a", "b"):
        queue.add(key)
    assert len(queue) == 2
    assert [await queue.get(), await queue.get()] == ["a", "b"]
    assert len(queue) == 0


async def test_key_added_while_processing_is_queued_again_after_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    key = await queue.get()
    queue.add("a")
    queue.add("a")
    assert len(queue) == 0, "a key being processed must not be handed to another worker"
    queue.done(key)
    assert len(queue) == 1
    assert await queue.get() == "a"
    queue.done("a")
    assert len(queue) == 0


async def test_one_worker_per_key_under_concurrency() -> None:
    queue: WorkQueue[int] = WorkQueue()
    active: set[int] = set()
    overlaps: list[int] = []
    processed: list[int] = []

    async def worker() -> None:
        while True:
            try:
                key = await queue.get()
            except QueueShutDownError:
                return
            if key in active:
                overlaps.append(key)
            active.add(key)
            await asyncio.sleep(random.uniform(0, 0.003))
            active.discard(key)
            processed.append(key)
            queue.done(key)

    workers = [asyncio.create_task(worker()) for _ in range(4)]
    for _ in range(60):
        for key in range(3):
            queue.add(key)
        await asyncio.sleep(0.001)
    async with asyncio.timeout(5):
        while len(queue) or queue.in_flight:
            await asyncio.sleep(0.005)
    queue.shutdown()
    await asyncio.wait_for(asyncio.gather(*workers), 5)
    assert overlaps == []
    assert set(processed) == {0, 1, 2}
    assert len(processed) > 3, "keys re-added while in flight are processed again"


async def test_add_after_hands_keys_out_in_due_order() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("late", 0.15)
    queue.add_after("early", 0.03)
    async with asyncio.timeout(5):
        assert await queue.get() == "early"
        assert await queue.get() == "late"


async def test_add_after_keeps_the_earliest_due_time() -> None:
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(clock=clock)
    queue.add_after("a", 10)
    queue.add_after("a", 60)
    assert queue.due("a") == clock.now + 10
    queue.add_after("a", 2)
    assert queue.due("a") == clock.now + 2
    assert len(queue) == 0
    clock.now += 2
    assert await asyncio.wait_for(queue.get(), 1) == "a"
    assert queue.due("a") is None


async def test_add_after_of_a_queued_key_changes_nothing_and_add_is_immediate() -> None:
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(clock=clock)
    queue.add("a")
    queue.add_after("a", 5)
    assert queue.due("a") is None
    queue.add_after("b", 5)
    queue.add("b")
    assert queue.due("b") is None, "an immediate add supersedes the pending delay"
    assert len(queue) == 2


async def test_backoff_doubles_from_five_seconds_to_thirty_minutes_and_forget_resets() -> None:
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(clock=clock)
    delays = []
    for _ in range(12):
        queue.add_rate_limited("k")
        due = queue.due("k")
        assert due is not None
        delays.append(due - clock.now)
        clock.now = due
        key = await asyncio.wait_for(queue.get(), 1)
        queue.done(key)
    assert delays == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1800, 1800, 1800]
    assert queue.backoff.retries("k") == 12
    queue.forget("k")
    queue.add_rate_limited("k")
    assert queue.due("k") == clock.now + 5


def test_backoff_is_per_key() -> None:
    backoff: ExponentialBackoff[str] = ExponentialBackoff(base=1, cap=8)
    assert [backoff.when("a") for _ in range(5)] == [1, 2, 4, 8, 8]
    assert backoff.when("b") == 1
    for _ in range(200):
        backoff.when("c")
    assert backoff.when("c") == 8


async def test_shutdown_wakes_waiting_getters() -> None:
    queue: WorkQueue[str] = WorkQueue()
    getters = [asyncio.create_task(queue.get()) for _ in range(3)]
    await asyncio.sleep(0.01)
    queue.shutdown()
    results = await asyncio.wait_for(asyncio.gather(*getters, return_exceptions=True), 2)
    assert all(isinstance(r, QueueShutDownError) for r in results)
    queue.add("late")
    assert len(queue) == 0
    with pytest.raises(QueueShutDownError):
        await queue.get()
