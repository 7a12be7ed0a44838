"""`beskar7 apply`: create or update objects, all validated before any is written."""

import copy
from dataclasses import dataclass

from beskar7.api.errors import FieldIssue, InvalidError, NotFoundError
from beskar7.api.kinds import Kind, Obj, UnknownKindError, kind_of
from beskar7.api.v1alpha1 import ALPHA, is_alpha
from beskar7.api.validation import validate
from beskar7.store.protocol import Store

DEFAULT_NAMESPACE = "default"
CONVERT_HINT = (
    f"{ALPHA} manifests (upstream before v0.4) are not served: `beskar7 convert -f FILE` "
    "rewrites them to v1beta1 and explains what cannot carry over"
)
SERVER_FIELDS = ("uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp")


class ApplyError(Exception):
    """Some objects are invalid; the message lists every problem and nothing was written."""


@dataclass(frozen=True)
class Applied:
    kind: Kind
    name: str
    action: str  # created | configured | unchanged

    def __str__(self) -> str:
        return f"{self.kind.plural}.{self.kind.group or 'core'}/{self.name} {self.action}"


def prepare(objects: list[Obj], namespace: str) -> list[tuple[Kind, Obj]]:
    """Each object with its kind, namespaced and validated; raises ApplyError naming every issue."""
    prepared: list[tuple[Kind, Obj]] = []
    problems: list[str] = []
    for index, obj in enumerate(objects, start=1):
        try:
            kind = kind_of(obj)
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            if not isinstance(meta, dict):
                raise InvalidError("object", [FieldIssue("metadata", "must be an object")])
            meta.setdefault("namespace", namespace)
            for key in SERVER_FIELDS:
                meta.pop(key, None)
            prepared.append((kind, validate(kind, obj)))
        except UnknownKindError as exc:
            problems.append(f"object {index}: {exc}")
        except InvalidError as exc:
            problems.append(f"object {index}: {exc}")
    if any(is_alpha(obj) for obj in objects):
        problems.append(CONVERT_HINT)
    if problems:
        raise ApplyError("nothing applied:\n  " + "\n  ".join(problems))
    return prepared


async def apply(
    store: Store, objects: list[Obj], namespace: str = DEFAULT_NAMESPACE
) -> list[Applied]:
    """Create the objects that are new and update the ones that exist (spec and data replaced,
    labels and annotations merged); status is left to the controllers."""
    results = []
    for kind, obj in prepare(objects, namespace):
        meta = obj["metadata"]
        try:
            current = await store.get(kind, meta["namespace"], meta["name"])
        except NotFoundError:
            await store.create(obj)
            results.append(Applied(kind, meta["name"], "created"))
            continue
        wanted = _merged(current, obj)
        if wanted == current:
            results.append(Applied(kind, meta["name"], "unchanged"))
            continue
        await store.update(wanted)
        results.append(Applied(kind, meta["name"], "configured"))
    return results


def _merged(current: Obj, given: Obj) -> Obj:
    merged = {k: v for k, v in current.items() if k in ("metadata", "status")}
    merged.update(
        {k: copy.deepcopy(v) for k, v in given.items() if k not in ("metadata", "status")}
    )
    meta = copy.deepcopy(current["metadata"])
    for key in ("labels", "annotations"):
        if key in given["metadata"]:
            meta[key] = {**meta.get(key, {}), **given["metadata"][key]}
    merged["metadata"] = meta
    return merged
