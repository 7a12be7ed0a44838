"""The reconciler contract controllers implement, and the worker loop that drives them.

A controller watches one primary kind (each change enqueues that object's own key) plus any
related kinds (`Watch.map` turns a related object into the primary keys it affects). Workers
pull keys from a de-duplicating queue, so one key is reconciled by at most one worker at a time.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from beskar7.api.kinds import Kind, Obj


@dataclass(frozen=True)
class Request:
    """The key of one primary object to reconcile."""

    namespace: str
    name: str


@dataclass(frozen=True)
class Result:
    """What a reconcile asks for next: `requeue_after` seconds, or nothing (wait for changes)."""

    requeue_after: float | None = None


class Reconciler(Protocol):
    async def reconcile(self, request: Request) -> Result: ...


@dataclass
class Watch:
    """A related kind whose changes enqueue the primary keys `map` returns for them."""

    kind: Kind
    map: Callable[[Obj], Iterable[Request]]


@dataclass
class ControllerSpec:
    name: str
    kind: Kind
    """The primary kind: each change to one of its objects enqueues that object's own key."""
    reconciler: Reconciler
    watches: list[Watch] = field(default_factory=list)
    concurrency: int = 1
