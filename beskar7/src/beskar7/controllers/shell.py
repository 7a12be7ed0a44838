"""What the three reconcilers share around their pure cores: reading objects into models,
finalizers, writing a status only when it changed, and the named requeue outcomes.

Every write carries the resourceVersion the reconcile read, so a concurrent writer makes it
fail with ConflictError; the reconcilers answer that with `CONFLICT` (look again soon at the
new version) instead of overwriting.
"""

import logging
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from beskar7.api.errors import NotFoundError
from beskar7.api.kinds import Kind, Obj
from beskar7.api.meta import ObjectMeta, Resource
from beskar7.runtime.controller import Result
from beskar7.store.merge_patch import merge_diff
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Resource)

DONE = Result.done()
"""Nothing to do until something changes."""
CONFLICT = Result.after(1.0)
"""Someone wrote first: look again at the new version."""
BACK_OFF = Result.back_off()
"""A transient failure: retry with the work queue's per-key backoff."""


async def read_model(
    store: Store, kind: Kind, namespace: str, name: str, model: type[R]
) -> R | None:
    """The object as `model`; None when it is absent or does not parse (logged)."""
    try:
        return model.from_obj(await store.get(kind, namespace, name))
    except NotFoundError:
        return None
    except ValidationError:
        log.warning("%s %s/%s does not parse; ignoring it", kind.kind, namespace, name)
        return None


async def set_finalizers(store: Store, kind: Kind, meta: ObjectMeta, finalizers: list[str]) -> None:
    patch = {"metadata": {"finalizers": finalizers, "resourceVersion": meta.resource_version}}
    await store.patch(kind, meta.namespace, meta.name, patch)


async def add_finalizer(store: Store, kind: Kind, meta: ObjectMeta, finalizer: str) -> bool:
    """Add `finalizer` when missing; True when it wrote (the write brings the next reconcile)."""
    if finalizer in meta.finalizers:
        return False
    await set_finalizers(store, kind, meta, [*meta.finalizers, finalizer])
    return True


async def remove_finalizer(store: Store, kind: Kind, meta: ObjectMeta, finalizer: str) -> None:
    if finalizer in meta.finalizers:
        await set_finalizers(store, kind, meta, [f for f in meta.finalizers if f != finalizer])


def dump_status(status: BaseModel) -> Obj:
    dumped: Obj = status.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


async def write_status(
    store: Store, kind: Kind, meta: ObjectMeta, old: BaseModel, new: BaseModel
) -> str | None:
    """The one place a status is written: a merge patch of what changed, if anything. Returns
    the object's resourceVersion afterwards (the one read when nothing changed)."""
    before, after = dump_status(old), dump_status(new)
    if before == after:
        return meta.resource_version
    written = await store.patch_status(
        kind, meta.namespace, meta.name, {"status": merge_diff(before, after)}
    )
    version: str | None = written.get("metadata", {}).get("resourceVersion")
    return version
