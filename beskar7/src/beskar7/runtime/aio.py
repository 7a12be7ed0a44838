"""Small asyncio helpers the runtime shares: bounded event waits and reliable cancellation.

On Python 3.11 `asyncio.wait_for` can lose a cancellation that races its own timeout (fixed in
3.12), so a task looping over it may survive one `cancel()`. The runtime waits with
`asyncio.timeout` instead, and stops tasks with `cancel_and_wait`, which cancels again until the
task really ends.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


async def wait_event(event: asyncio.Event, timeout: float | None) -> bool:
    """Wait up to `timeout` seconds (None: forever) for `event`; whether it is set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()
    return event.is_set()


async def first_set(*events: asyncio.Event, timeout: float | None = None) -> None:
    """Return as soon as any of `events` is set (or after `timeout`)."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


async def cancel_and_wait(tasks: Iterable["asyncio.Task[Any]"], grace: float = 10.0) -> None:
    """Cancel `tasks` and wait for them to end, repeating the cancel should one be swallowed."""
    everything = list(tasks)
    pending = {t for t in everything if not t.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    rounds = 0
    while pending:
        if rounds:
            log.debug(
                "cancellation swallowed by %s; cancelling again", [t.get_name() for t in pending]
            )
        rounds += 1
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.2)
        if pending and loop.time() > deadline:
            names = ", ".join(t.get_name() for t in pending)
            log.warning("tasks still running after %.0fs of cancelling: %s", grace, names)
            return
    await asyncio.gather(*everything, return_exceptions=True)
