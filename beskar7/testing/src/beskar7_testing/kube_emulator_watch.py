"""Watch streams of the API emulator: newline-delimited JSON events, each stream fed by a task
the emulator can end (as an API server ends its watches when it shuts down)."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from starlette.responses import Response, StreamingResponse

from beskar7.api.errors import GoneError, StoreError
from beskar7.api.kinds import Kind, Obj
from beskar7.store.protocol import Store
from beskar7.store.selectors import Selector
from beskar7_testing.kube_emulator_status import from_store_error


def _line(event_type: str, obj: Obj) -> bytes:
    return json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode() + b"\n"


@dataclass
class _Stream:
    store: Store
    kind: Kind
    namespace: str | None
    selector: Selector
    queue: "asyncio.Queue[bytes | None]" = field(default_factory=asyncio.Queue)
    sent: int = 0

    def send(self, event_type: str, obj: Obj) -> None:
        if self.selector.matches(obj.get("metadata", {}).get("labels") or {}):
            self.queue.put_nowait(_line(event_type, obj))
            self.sent += 1

    async def pump(self, version: str | None, timeout: float | None) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._events(version)
        except TimeoutError:
            pass  # timeoutSeconds: the stream ends, clients resume from their last version
        except StoreError as error:  # a real server answers 200, then an ERROR event
            self.queue.put_nowait(_line("ERROR", from_store_error(error, self.kind, "").body))
        finally:
            self.queue.put_nowait(None)

    async def _events(self, version: str | None) -> None:
        """Unset: the current objects as ADDED, then what follows. "0" (start anywhere): from
        version 0 while the change log still reaches back there (there were no objects
        then), else as unset. Any other version: the changes after it."""
        if version == "0":
            try:
                await self._follow("0")
                return
            except GoneError:
                if self.sent:
                    raise
                version = None
        if version is None:
            listing = await self.store.list(self.kind, self.namespace)
            for obj in listing.items:
                self.send("ADDED", obj)
            version = listing.resource_version
        await self._follow(version)

    async def _follow(self, version: str) -> None:
        async for event in self.store.watch(self.kind, self.namespace, version):
            self.send(event.type, event.object)


class WatchStreams:
    """The emulator's open watches."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store
        self._tasks: set[asyncio.Task[None]] = set()

    def open(
        self,
        kind: Kind,
        namespace: str | None,
        selector: Selector,
        version: str | None,
        timeout: float | None,
    ) -> Response:
        stream = _Stream(self._store(), kind, namespace, selector)
        pump = asyncio.create_task(stream.pump(version, timeout))
        self._tasks.add(pump)
        pump.add_done_callback(self._tasks.discard)

        async def lines() -> AsyncIterator[bytes]:
            try:
                while (line := await stream.queue.get()) is not None:
                    yield line
            finally:
                pump.cancel()

        return StreamingResponse(lines(), media_type="application/json")

    async def end_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
