"""The run loop's scheduling: reports every jittered interval, retries in between."""

import random
from pathlib import Path

import pytest

from felhom_controller.config import Settings
from felhom_controller.cycle import Controller
from felhom_controller.loop import Runner, jittered
from tests.conftest import make_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_jitter_stays_within_the_configured_percentage() -> None:
    rng = random.Random(7)
    values = [jittered(900, 10, rng) for _ in range(1000)]
    assert 810 <= min(values) < 830 and 970 < max(values) <= 990


def test_reports_are_due_every_interval_and_retries_in_between(tmp_path: Path) -> None:
    # No hub listens on this port: every send fails and is retried with backoff.
    settings = make_settings(
        tmp_path,
        hub={"url": "http://127.0.0.1:9", "timeout_seconds": 1},
        report={"interval_seconds": 100, "jitter_percent": 0},
        spool={"retry_initial_seconds": 10, "retry_max_seconds": 40},
    )
    clock = Clock()
    runner = Runner(Controller(settings), clock=clock)
    runner.start()
    assert runner.step() == 10  # first report queued behind controller_started; retry in 10 s
    assert len(runner.controller.spool) == 2
    clock.now += 10
    assert runner.step() == 20  # a retry, not a report; backoff doubles
    assert len(runner.controller.spool) == 2
    clock.now += 20
    assert runner.step() == 40
    clock.now += 40
    assert runner.step() == 30  # capped at 40, but the next report is due at +100
    clock.now += 30
    runner.step()
    assert len(runner.controller.spool) == 3  # the second report


def test_a_shorter_interval_applied_live_takes_effect_at_once(tmp_path: Path) -> None:
    def settings(interval: int) -> Settings:
        return make_settings(
            tmp_path,
            hub={"url": "http://127.0.0.1:9", "timeout_seconds": 1},
            report={"interval_seconds": interval, "jitter_percent": 0},
            spool={"retry_initial_seconds": 1000, "retry_max_seconds": 1000},
        )

    clock = Clock()
    controller = Controller(settings(3600))
    runner = Runner(controller, clock=clock)
    assert runner.step() == 1000  # reported; the failed send retries in 1000 s
    controller.reconfigure(settings(10))
    assert controller.wake.is_set()
    assert runner.step() == 10


def test_a_failing_cycle_is_logged_and_the_loop_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        tmp_path,
        hub={"url": "http://127.0.0.1:9", "timeout_seconds": 1},
        report={"interval_seconds": 100, "jitter_percent": 0},
    )
    controller = Controller(settings)
    controller.state_path.mkdir()  # the observations cannot be written: the cycle raises
    clock = Clock()
    runner = Runner(controller, clock=clock)
    assert runner.step() == 100
    assert "collection or sending failed" in caplog.text
    controller.state_path.rmdir()
    clock.now += 100
    runner.step()
    assert controller.state_path.is_file()
