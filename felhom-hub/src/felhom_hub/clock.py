"""The one place that reads the wall clock; everything else takes ``now`` as a parameter."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)
