"""Kubernetes write semantics on plain objects: what create, update, patch and delete keep,
reset or refuse. Pure functions; the embedded store applies them inside its transactions."""

import base64
import copy
import random
import string
import uuid
from datetime import UTC, datetime
from typing import Any

from beskar7.api.errors import ConflictError, FieldIssue, InvalidError
from beskar7.api.kinds import Kind, Obj

SERVER_FIELDS = (
    "uid",
    "creationTimestamp",
    "resourceVersion",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
"""Metadata only the store sets; what callers send there is ignored (or refused, for uid)."""

_NAME_CHARS = string.ascii_lowercase + string.digits


def now() -> str:
    """RFC 3339 UTC with seconds, as Kubernetes writes timestamps."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(kind: Kind, name: str, path: str, message: str) -> InvalidError:
    return InvalidError(f"{kind.kind} {name!r}", [FieldIssue(path, message)])


def _metadata(obj: Obj) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        obj["metadata"] = meta
    return meta


def finalizers(obj: Obj) -> list[str]:
    return list(obj.get("metadata", {}).get("finalizers") or [])


def prepare_create(kind: Kind, obj: Obj) -> Obj:
    """The object as first stored: identity and server fields stamped, status dropped where it
    is a subresource. Raises InvalidError without a name."""
    new = copy.deepcopy(obj)
    meta = _metadata(new)
    if not meta.get("name") and meta.get("generateName"):
        suffix = "".join(random.choices(_NAME_CHARS, k=5))
        meta["name"] = f"{meta['generateName']}{suffix}"
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        raise _invalid(kind, "", "metadata.name", "name or generateName is required")
    if meta.get("resourceVersion"):
        raise _invalid(
            kind, meta["name"], "metadata.resourceVersion", "must not be set on objects to create"
        )
    if kind.namespaced:
        meta["namespace"] = meta.get("namespace") or "default"
    else:
        meta.pop("namespace", None)
    for key in SERVER_FIELDS:
        meta.pop(key, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now()
    meta["generation"] = 1
    if kind.status_subresource:
        new.pop("status", None)
    new["apiVersion"] = kind.api_version
    new["kind"] = kind.kind
    return fold_string_data(kind, new)


def fold_string_data(kind: Kind, obj: Obj) -> Obj:
    """Secrets: `stringData` is write-only; its entries are merged into `data`, base64-encoded
    (Kubernetes does the same). Other kinds are returned as they are."""
    if kind.group or kind.kind != "Secret":
        return obj
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = dict(obj.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
    return obj


def check_version(kind: Kind, current: Obj, wanted: object, *, required: bool) -> None:
    """Optimistic concurrency: `wanted` must be the stored resourceVersion."""
    have = current["metadata"]["resourceVersion"]
    name = current["metadata"]["name"]
    if wanted is None or wanted == "":
        if required:
            raise ConflictError(f"{kind.kind} {name!r}: resourceVersion must be given to update")
        return
    if str(wanted) != have:
        raise ConflictError(
            f"{kind.kind} {name!r} was modified (resourceVersion {have}, not {wanted});"
            " re-read it and try again"
        )


def prepare_update(kind: Kind, old: Obj, obj: Obj) -> Obj:
    """A replacement of `old` by the caller's `obj`: identity and server fields are kept,
    status too where it is a subresource; a changed uid, name or namespace and a finalizer
    added during deletion are refused."""
    new = copy.deepcopy(obj)
    meta = _metadata(new)
    old_meta = old["metadata"]
    name = old_meta["name"]
    for key in ("name", "namespace", "uid"):
        given = meta.get(key)
        if given not in (None, "", old_meta.get(key)):
            raise _invalid(kind, name, f"metadata.{key}", "field is immutable")
    for key in ("name", "namespace", *SERVER_FIELDS):
        meta.pop(key, None)
        if key in old_meta:
            meta[key] = old_meta[key]
    if kind.status_subresource:
        new.pop("status", None)
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
    new["apiVersion"] = kind.api_version
    new["kind"] = kind.kind
    _check_finalizers(kind, old, new)
    return fold_string_data(kind, new)


def prepare_status(old: Obj, patched: Obj) -> Obj:
    """`old` with only its status taken from `patched`."""
    new = copy.deepcopy(old)
    if "status" in patched:
        new["status"] = copy.deepcopy(patched["status"])
    else:
        new.pop("status", None)
    return new


def _check_finalizers(kind: Kind, old: Obj, new: Obj) -> None:
    if not old["metadata"].get("deletionTimestamp"):
        return
    added = set(finalizers(new)) - set(finalizers(old))
    if added:
        raise _invalid(
            kind,
            old["metadata"]["name"],
            "metadata.finalizers",
            f"no new finalizers can be added while the object is being deleted: {sorted(added)}",
        )


def next_generation(old: Obj, new: Obj) -> int:
    """+1 when anything outside metadata and status changed."""
    generation = int(old["metadata"].get("generation", 1))

    def body(o: Obj) -> Obj:
        return {k: v for k, v in o.items() if k not in ("metadata", "status")}

    return generation + 1 if body(old) != body(new) else generation


def mark_deleting(obj: Obj) -> Obj:
    """The object once deletion has been requested while finalizers remain."""
    new = copy.deepcopy(obj)
    meta = new["metadata"]
    meta["deletionTimestamp"] = now()
    meta["deletionGracePeriodSeconds"] = 0
    meta["generation"] = int(meta.get("generation", 1)) + 1
    return new


def is_finished(obj: Obj) -> bool:
    """Deletion was requested and no finalizer holds the object any more."""
    return bool(obj["metadata"].get("deletionTimestamp")) and not finalizers(obj)
