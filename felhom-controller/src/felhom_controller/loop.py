"""The ``run`` loop: a report every interval (± jitter), spool retries in between.

Each step is :meth:`Runner.step` (pure scheduling around the controller's ``run_once``); the
loop only sleeps until the next due time or a stop request. A cycle that raises is logged and
the loop carries on at the next interval.
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from felhom_controller.cycle import Controller
from felhom_controller.events import Event
from felhom_controller.sender import Drained
from felhom_controller.vocabulary import EventType, Severity

log = logging.getLogger(__name__)
MAX_SLEEP = 60.0


def jittered(interval: float, jitter_percent: float, rng: random.Random) -> float:
    """``interval`` ± ``jitter_percent`` %, so a fleet does not report on the quarter hour."""
    spread = interval * jitter_percent / 100
    return interval + rng.uniform(-spread, spread)


class Runner:
    def __init__(
        self,
        controller: Controller,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.controller = controller
        self.clock = clock
        self.rng = rng or random.Random()
        self.next_report = clock()
        self.next_retry: float | None = None
        self.generation = controller.generation

    def start(self) -> None:
        settings = self.controller.settings
        message = f"felhom-controller started on {settings.identity.hostname}"
        started = Event(EventType.CONTROLLER_STARTED, Severity.INFO, message)
        self.controller.emit(started, datetime.now(UTC))

    def step(self) -> float:
        """Do whatever is due now; return the seconds until something is due again."""
        now = self.clock()
        report = self.controller.settings.report
        if self.controller.generation != self.generation:  # new settings: a shorter interval
            self.generation = self.controller.generation  # applies from now on
            interval = jittered(report.interval_seconds, report.jitter_percent, self.rng)
            self.next_report = min(self.next_report, now + interval)
        if now >= self.next_report:
            self.next_report = now + jittered(
                report.interval_seconds, report.jitter_percent, self.rng
            )
            self._schedule_retry(now, lambda: self.controller.run_once(datetime.now(UTC)).drained)
        elif self.next_retry is not None and now >= self.next_retry:
            self._schedule_retry(now, self.controller.drain)
        due = min(self.next_report, self.next_retry or self.next_report)
        return max(0.0, due - self.clock())

    def _schedule_retry(self, now: float, work: Callable[[], Drained]) -> None:
        """Do ``work``; a failure is logged and retried at the next interval at the latest."""
        try:
            retry_in = work().retry_in
        except Exception:
            log.exception("collection or sending failed; trying again later")
            retry_in = None
        self.next_retry = None if retry_in is None else now + retry_in

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set; whoever sets it also sets ``controller.wake``."""
        self.start()
        wake = self.controller.wake
        while not stop.is_set():
            wake.wait(min(MAX_SLEEP, self.step()))
            wake.clear()
