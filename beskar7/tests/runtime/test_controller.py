"""The controller worker loop: requeueing, backoff, metrics, logging, concurrency, shutdown."""

import asyncio
import logging

import pytest

from beskar7.api.kinds import CONFIG_MAP
from beskar7.runtime.controller import Controller, ControllerSpec, Request, Result
from beskar7.runtime.metrics import Metrics
from beskar7.runtime.workqueue import ExponentialBackoff, WorkQueue
from tests.fixtures.controller_runtime import eventually

HOST = Request("lab", "host-1")


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


class Scripted:
    """Answers each reconcile with the next scripted result or exception, then Result()."""

    def __init__(self, *script: Result | Exception) -> None:
        self.script = list(script)
        self.calls: list[Request] = []

    async def reconcile(self, request: Request) -> Result:
        self.calls.append(request)
        step = self.script.pop(0) if self.script else Result()
        if isinstance(step, Exception):
            raise step
        return step


def make(
    reconciler: Scripted, queue: WorkQueue[Request] | None = None, concurrency: int = 1
) -> tuple[Controller, Metrics]:
    metrics = Metrics()
    spec = ControllerSpec("physicalhost", CONFIG_MAP, reconciler, concurrency=concurrency)
    return Controller(spec, metrics, queue=queue), metrics


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_an_exception_requeues_with_backoff_and_counts_an_error() -> None:
    clock = FakeClock()
    controller, metrics = make(Scripted(ConnectionError("bmc down")), WorkQueue(clock=clock))
    await controller.reconcile(HOST)
    assert controller.queue.due(HOST) == clock.now + 5
    assert controller.queue.backoff.retries(HOST) == 1
    labels = {"controller": "physicalhost", "namespace": "lab"}
    assert sample(metrics, "beskar7_controller_reconciliation_total", outcome="error", **labels)
    assert sample(
        metrics, "beskar7_controller_errors_total", error_type="ConnectionError", **labels
    )
    assert sample(metrics, "beskar7_controller_requeue_total", reason="error", **labels) == 1
    assert (
        sample(
            metrics,
            "beskar7_controller_reconciliation_duration_seconds_count",
            outcome="error",
            **labels,
        )
        == 1
    )


async def test_requeue_after_is_honoured_and_forgets_the_backoff() -> None:
    clock = FakeClock()
    reconciler = Scripted(RuntimeError("once"), Result(requeue_after=30))
    controller, metrics = make(reconciler, WorkQueue(clock=clock))
    await controller.reconcile(HOST)
    clock.now += 5
    assert await asyncio.wait_for(controller.queue.get(), 1) == HOST
    await controller.reconcile(HOST)
    controller.queue.done(HOST)
    assert controller.queue.due(HOST) == clock.now + 30
    assert controller.queue.backoff.retries(HOST) == 0
    labels = {"controller": "physicalhost", "namespace": "lab"}
    assert sample(metrics, "beskar7_controller_reconciliation_total", outcome="requeue", **labels)
    assert sample(metrics, "beskar7_controller_requeue_total", reason="requeue_after", **labels)


async def test_success_forgets_the_backoff_and_counts_success() -> None:
    backoff: ExponentialBackoff[Request] = ExponentialBackoff(base=0.01, cap=0.02)
    reconciler = Scripted(RuntimeError("1"), RuntimeError("2"), RuntimeError("3"))
    controller, metrics = make(reconciler, WorkQueue(backoff=backoff))
    controller.enqueue(HOST)
    runner = asyncio.create_task(controller.run())
    try:
        await eventually(lambda: len(reconciler.calls) == 4, what="three retries, one success")
        await asyncio.sleep(0.05)
    finally:
        controller.shutdown()
        await asyncio.wait_for(runner, 5)
    assert len(reconciler.calls) == 4, "no requeue after success"
    assert backoff.retries(HOST) == 0
    labels = {"controller": "physicalhost", "namespace": "lab"}
    assert (
        sample(metrics, "beskar7_controller_reconciliation_total", outcome="error", **labels) == 3
    )
    assert (
        sample(metrics, "beskar7_controller_reconciliation_total", outcome="success", **labels) == 1
    )


async def test_a_failure_logs_one_line_and_the_traceback_only_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller, _ = make(Scripted(ValueError("bad secret"), ValueError("bad secret")))
    with caplog.at_level(logging.INFO, logger="beskar7.runtime.controller"):
        await controller.reconcile(HOST)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "lab/host-1" in record.getMessage() and "ValueError: bad secret" in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="beskar7.runtime.controller"):
        await controller.reconcile(HOST)
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)


class Gate:
    """Holds every reconcile until released; records overlap per key and at most in flight."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.active: set[Request] = set()
        self.overlap = 0
        self.most = 0
        self.done: list[Request] = []

    async def reconcile(self, request: Request) -> Result:
        if request in self.active:
            self.overlap += 1
        self.active.add(request)
        self.most = max(self.most, len(self.active))
        await self.release.wait()
        self.active.discard(request)
        self.done.append(request)
        return Result()


async def test_workers_run_in_parallel_but_never_on_the_same_key() -> None:
    gate = Gate()
    metrics = Metrics()
    controller = Controller(ControllerSpec("ph", CONFIG_MAP, gate, concurrency=4), metrics)
    for i in range(6):
        controller.enqueue(Request("ns", f"h{i}"))
    runner = asyncio.create_task(controller.run())
    await eventually(lambda: gate.most == 4, what="four reconciles in flight")
    for i in range(4):
        controller.enqueue(Request("ns", f"h{i}"))  # dirty: run again after the current one
    assert (
        metrics.registry.get_sample_value(
            "beskar7_controller_workqueue_depth", {"controller": "ph"}
        )
        == 2
    )
    gate.release.set()
    await eventually(lambda: len(gate.done) == 10, what="all reconciles")
    controller.shutdown()
    await asyncio.wait_for(runner, 5)
    assert gate.overlap == 0


async def test_shutdown_lets_the_reconcile_in_flight_finish() -> None:
    gate = Gate()
    controller = Controller(ControllerSpec("ph", CONFIG_MAP, gate), Metrics())
    controller.enqueue(Request("ns", "busy"))
    controller.enqueue(Request("ns", "never"))
    runner = asyncio.create_task(controller.run())
    await eventually(lambda: bool(gate.active), what="a reconcile in flight")
    controller.shutdown()
    await asyncio.sleep(0.05)
    assert not runner.done(), "shutdown waits for the reconcile in flight"
    gate.release.set()
    await asyncio.wait_for(runner, 5)
    assert gate.done == [Request("ns", "busy")], "no new keys after shutdown"


async def test_back_off_requeues_with_backoff() -> None:
    clock = FakeClock()
    controller, metrics = make(Scripted(Result.back_off()), WorkQueue(clock=clock))
    await controller.reconcile(HOST)
    assert controller.queue.due(HOST) == clock.now + 5
    labels = {"controller": "physicalhost", "namespace": "lab"}
    assert sample(metrics, "beskar7_controller_requeue_total", reason="requeue", **labels) == 1


@pytest.mark.parametrize("delay", [0, -1.0])
def test_a_delay_that_is_not_positive_is_refused(delay: float) -> None:
    """No magic zero: backing off is `Result.back_off()`, not `requeue_after=0`."""
    with pytest.raises(ValueError, match="positive"):
        Result(requeue_after=delay)
    with pytest.raises(ValueError, match="excludes backoff"):
        Result(requeue_after=5.0, backoff=True)
