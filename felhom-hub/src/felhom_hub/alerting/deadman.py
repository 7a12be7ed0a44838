"""The dead man's switch as a pure function: which state a silent node is in, and when next due.

With ``T`` the customer's stale threshold and ``age`` the time since its latest report:
``up`` while age < T, ``stale`` from T on, ``down`` once age > 2T (the same boundaries as the
WARN and DOWN statuses). Each change is one hub event: ``node_stale``, ``node_down``, and
``node_recovered`` on the next report after either. A node silent past 2T when first looked at
goes straight to ``down`` (one event, not two).
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from felhom_hub.events import EventType, Severity


class NodeState(StrEnum):
    UP = "up"
    STALE = "stale"
    DOWN = "down"


EVENT_OF: dict[NodeState, EventType] = {
    NodeState.STALE: EventType.NODE_STALE,
    NodeState.DOWN: EventType.NODE_DOWN,
    NodeState.UP: EventType.NODE_RECOVERED,
}
SEVERITY_OF: dict[EventType, Severity] = {
    EventType.NODE_STALE: Severity.WARNING,
    EventType.NODE_DOWN: Severity.ERROR,
    EventType.NODE_RECOVERED: Severity.INFO,
}


@dataclass(frozen=True, slots=True)
class Step:
    """Where a node stands at ``now``: its state and the epoch second the next one is due."""

    state: NodeState
    due_at: int | None


def stale_at(received_at: datetime, threshold: timedelta) -> int:
    """The first epoch second at which the node counts as stale (age >= T)."""
    return math.ceil((received_at + threshold).timestamp())


def down_at(received_at: datetime, threshold: timedelta) -> int:
    """The first epoch second at which the node counts as down (age > 2T)."""
    return math.floor((received_at + 2 * threshold).timestamp()) + 1


def step(received_at: datetime, threshold: timedelta, now: datetime) -> Step:
    """The state a node whose latest report came at ``received_at`` is in at ``now``."""
    second = math.floor(now.timestamp())
    if second >= down_at(received_at, threshold):
        return Step(NodeState.DOWN, None)
    if second >= stale_at(received_at, threshold):
        return Step(NodeState.STALE, down_at(received_at, threshold))
    return Step(NodeState.UP, stale_at(received_at, threshold))


def message(event: EventType, hostname: str | None, silent_for: timedelta) -> str:
    """The event's text (English; the notification templates translate for customers)."""
    minutes = int(silent_for.total_seconds() // 60)
    node = hostname or "the node"
    if event is EventType.NODE_RECOVERED:
        return f"{node} reports again after {minutes} minutes of silence"
    word = "stale" if event is EventType.NODE_STALE else "down"
    return f"{node} has not reported for {minutes} minutes ({word})"
