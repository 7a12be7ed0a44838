"""The overall time budget and the step errors that end a run with a given exit code."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

# Exit codes of beskar7-inspector (documented in cli.py's help).
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_REPORT = 3
EXIT_BOOTSTRAP = 4
EXIT_TARGET = 5
EXIT_KEXEC = 6


class StepError(Exception):
    """A fatal failure of one step; `reason` is safe to log and to send (no token)."""

    exit_code = EXIT_INTERNAL

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReportError(StepError):
    exit_code = EXIT_REPORT


class BootstrapError(StepError):
    exit_code = EXIT_BOOTSTRAP


class TargetError(StepError):
    exit_code = EXIT_TARGET


class KexecError(StepError):
    exit_code = EXIT_KEXEC


class Deadline:
    """A monotonic-clock budget; `sleep` and `clock` are injectable for tests."""

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.expires = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.expires - self._clock())

    def expired(self) -> bool:
        return self.remaining() <= 0

    def pause(self, seconds: float) -> bool:
        """Sleep `seconds` if the budget allows it; False (without sleeping) when it does not."""
        if seconds >= self.remaining():
            return False
        self._sleep(seconds)
        return True


def backoff(first: float, cap: float) -> Iterator[float]:
    """first, 2*first, 4*first... never more than cap."""
    delay = first
    while True:
        yield min(delay, cap)
        delay *= 2
