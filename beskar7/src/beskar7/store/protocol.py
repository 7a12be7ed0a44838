"""The store protocol the controllers, CLI and callback server use, whatever the backend.

Semantics follow the Kubernetes API so the two backends (embedded SQLite, Kubernetes) are
interchangeable:

- `resourceVersion` is an opaque string; it changes on every write. `update` and a `patch`
  whose `metadata.resourceVersion` is set fail with `ConflictError` when it is stale.
- Kinds with a status subresource ignore `status` in `create`/`update`/`patch`; only
  `patch_status` writes it (and only it). `metadata.generation` grows when the spec changes.
- `delete` of an object with finalizers only sets `metadata.deletionTimestamp`; the object
  goes away when a later write empties `metadata.finalizers`. Finalizers cannot be added
  once deletion has started.
- `watch` yields every change after `resource_version` (from now when None), and raises
  `GoneError` when that version is older than the backend keeps; callers then re-list.
- Every object the store returns is a fresh dict the caller may mutate.
"""

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from beskar7.api.kinds import Kind, Obj

EventType = Literal["ADDED", "MODIFIED", "DELETED"]
LabelSelector = str | Mapping[str, str] | None
"""A Kubernetes label selector string (`a=b,c!=d,e in (x,y),!f`) or equality pairs."""


@dataclass(frozen=True)
class WatchEvent:
    type: EventType
    object: Obj


@dataclass
class ObjectList:
    items: list[Obj] = field(default_factory=list)
    resource_version: str = "0"
    """Watch from here to see every change after this list."""


class Store(Protocol):
    async def get(self, kind: Kind, namespace: str, name: str) -> Obj: ...

    async def list(
        self, kind: Kind, namespace: str | None = None, labels: LabelSelector = None
    ) -> ObjectList: ...

    async def create(self, obj: Obj) -> Obj: ...

    async def update(self, obj: Obj) -> Obj: ...

    async def patch(self, kind: Kind, namespace: str, name: str, patch: Obj) -> Obj:
        """RFC 7386 JSON merge patch of the object (status excluded where it is a subresource)."""
        ...

    async def patch_status(self, kind: Kind, namespace: str, name: str, patch: Obj) -> Obj:
        """Merge patch of the status subresource; `patch` is `{"status": {...}}`, plus an
        optional `metadata.resourceVersion` for optimistic concurrency."""
        ...

    async def delete(self, kind: Kind, namespace: str, name: str) -> Obj | None:
        """Returns the object as it now stands (deletionTimestamp set) or None when it is gone."""
        ...

    def watch(
        self, kind: Kind, namespace: str | None = None, resource_version: str | None = None
    ) -> AsyncIterator[WatchEvent]: ...

    async def close(self) -> None: ...


def object_key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata", {})
    return meta.get("namespace", ""), meta["name"]
