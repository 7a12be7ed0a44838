"""Kubernetes core/v1 Events about the objects the controllers manage.

`EventRecorder.event` never raises and never holds a reconcile for long: a store that fails or
hangs costs at most `timeout` seconds and one log line. Identical events (same object, type,
reason and message) repeated within `window` seconds bump `count` and `lastTimestamp` of the
first one with a merge patch instead of creating another object, as client-go's correlator does.
"""

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from beskar7.api.errors import NotFoundError
from beskar7.api.kinds import EVENT, Obj
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)

COMPONENT = "beskar7-controller-manager"
NORMAL = "Normal"
WARNING = "Warning"
MAX_MESSAGE = 1024
MAX_NAME = 253
_CACHE_SIZE = 4096


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Seen:
    namespace: str
    name: str
    count: int
    last: float  # monotonic


class EventRecorder:
    def __init__(
        self,
        store: Store,
        component: str = COMPONENT,
        *,
        timeout: float = 2.0,
        window: float = 600.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.component = component
        self.timeout = timeout
        self.window = window
        self._now = now
        self._seen: OrderedDict[tuple[str, ...], _Seen] = OrderedDict()

    async def event(self, obj: Obj, type: str, reason: str, message: str) -> None:
        """Record an event about `obj` ("Normal" or "Warning"); failures are only logged."""
        meta = obj.get("metadata", {})
        log.debug("event %s on %s: %s %s", type, meta.get("name"), reason, message)
        try:
            async with asyncio.timeout(self.timeout):
                await self._record(obj, type, reason, message)
        except Exception as exc:
            log.warning(
                "could not record event %s for %s/%s: %s: %s",
                reason,
                meta.get("namespace", ""),
                meta.get("name", "?"),
                exc.__class__.__name__,
                exc,
            )

    async def _record(self, obj: Obj, type_: str, reason: str, message: str) -> None:
        message = message[:MAX_MESSAGE]
        key = _identity(obj, type_, reason, message)
        seen = self._seen.get(key)
        stamp = rfc3339(self._now())
        if seen is not None and time.monotonic() - seen.last < self.window:
            patch = {"count": seen.count + 1, "lastTimestamp": stamp}
            try:
                await self.store.patch(EVENT, seen.namespace, seen.name, patch)
            except NotFoundError:
                pass  # expired or deleted meanwhile: start a new one
            else:
                seen.count += 1
                seen.last = time.monotonic()
                self._seen.move_to_end(key)
                return
        created = await self.store.create(self._new_event(obj, type_, reason, message, stamp))
        created_meta = created["metadata"]
        seen = _Seen(created_meta["namespace"], created_meta["name"], 1, time.monotonic())
        self._remember(key, seen)

    def _remember(self, key: tuple[str, ...], seen: _Seen) -> None:
        self._seen[key] = seen
        self._seen.move_to_end(key)
        while len(self._seen) > _CACHE_SIZE:
            self._seen.popitem(last=False)

    def _new_event(self, obj: Obj, type_: str, reason: str, message: str, stamp: str) -> Obj:
        meta = obj.get("metadata", {})
        name = str(meta.get("name", "unknown"))
        namespace = meta.get("namespace") or "default"
        suffix = f"{time.time_ns():x}{secrets.token_hex(2)}"
        return {
            "apiVersion": EVENT.api_version,
            "kind": EVENT.kind,
            "metadata": {
                "name": f"{name[: MAX_NAME - len(suffix) - 1]}.{suffix}",
                "namespace": namespace,
            },
            "involvedObject": {
                k: v
                for k, v in {
                    "apiVersion": obj.get("apiVersion"),
                    "kind": obj.get("kind"),
                    "name": name,
                    "namespace": meta.get("namespace"),
                    "uid": meta.get("uid"),
                    "resourceVersion": meta.get("resourceVersion"),
                }.items()
                if v
            },
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": self.component},
            "reportingComponent": self.component,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }


def _identity(obj: Obj, type_: str, reason: str, message: str) -> tuple[str, ...]:
    meta = obj.get("metadata", {})
    who = meta.get("uid") or f"{obj.get('kind')}/{meta.get('namespace')}/{meta.get('name')}"
    return (str(who), type_, reason, message)
