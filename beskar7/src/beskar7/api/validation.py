"""`validate`: what every store runs on an object before writing it.

It returns the normalized object or raises `InvalidError` listing every problem by JSON path.
For beskar7's own kinds the spec and status are checked with the models and written back in
canonical form (upstream names converted, defaults applied); metadata is checked for every kind
and kept exactly as given, since the store manages part of it.
"""

import copy
from collections.abc import Callable

from beskar7.api import core_shapes
from beskar7.api.cluster import Beskar7Cluster, Beskar7ClusterTemplate
from beskar7.api.errors import FieldIssue, InvalidError
from beskar7.api.issues import field_path, strict_check
from beskar7.api.kinds import (
    BESKAR7_CLUSTER,
    BESKAR7_CLUSTER_TEMPLATE,
    BESKAR7_MACHINE,
    BESKAR7_MACHINE_TEMPLATE,
    PHYSICAL_HOST,
    Kind,
    Obj,
)
from beskar7.api.machine import Beskar7Machine, Beskar7MachineTemplate
from beskar7.api.meta import ObjectMeta, Resource
from beskar7.api.names import (
    dns_label_error,
    dns_subdomain_error,
    label_value_error,
    qualified_name_error,
)
from beskar7.api.physicalhost import PhysicalHost

MAX_ANNOTATIONS_BYTES = 256 * 1024

OWN_MODELS: dict[str, type[Resource]] = {
    PHYSICAL_HOST.key: PhysicalHost,
    BESKAR7_MACHINE.key: Beskar7Machine,
    BESKAR7_MACHINE_TEMPLATE.key: Beskar7MachineTemplate,
    BESKAR7_CLUSTER.key: Beskar7Cluster,
    BESKAR7_CLUSTER_TEMPLATE.key: Beskar7ClusterTemplate,
}

BodyCheck = Callable[[Obj], tuple[Obj, list[FieldIssue]]]


def validate(kind: Kind, obj: Obj) -> Obj:
    """The object as it should be stored, or `InvalidError` naming every bad field."""
    if not isinstance(obj, dict):
        raise InvalidError(kind.key, [FieldIssue("(object)", "must be a JSON object")])
    issues = [*_type_meta_issues(kind, obj), *metadata_issues(kind, obj.get("metadata"))]
    body_check = _body_check(kind)
    result, body_issues = body_check({k: v for k, v in obj.items() if k != "metadata"})
    issues += body_issues
    if issues:
        raise InvalidError(_describe(kind, obj), issues)
    ordered: Obj = {k: result.pop(k) for k in ("apiVersion", "kind") if k in result}
    if "metadata" in obj:
        ordered["metadata"] = copy.deepcopy(obj["metadata"])
    return {**ordered, **result}


def _body_check(kind: Kind) -> BodyCheck:
    model = OWN_MODELS.get(kind.key)
    if model is None:
        return core_shapes.CHECKS.get(kind.key, core_shapes.unchecked)

    def check(body: Obj) -> tuple[Obj, list[FieldIssue]]:
        resource, issues = strict_check(model, body)
        return (resource.to_obj() if resource else {}), issues

    return check


def _describe(kind: Kind, obj: Obj) -> str:
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return f'{kind.key} "{name}"' if isinstance(name, str) and name else kind.key


def _type_meta_issues(kind: Kind, obj: Obj) -> list[FieldIssue]:
    issues = []
    for field, expected in (("apiVersion", kind.api_version), ("kind", kind.kind)):
        if field not in obj:
            issues.append(FieldIssue(field, "required"))
        elif obj[field] != expected:
            issues.append(FieldIssue(field, f"must be {expected}"))
    return issues


def metadata_issues(kind: Kind, metadata: object) -> list[FieldIssue]:
    """Shape of the metadata, and the rules Kubernetes applies to names, labels, annotations."""
    if metadata is None:
        return [FieldIssue("metadata.name", "required")]
    meta, issues = strict_check(ObjectMeta, metadata, ("metadata",))
    if meta is None:
        return issues
    if not meta.name:
        issues.append(FieldIssue("metadata.name", "required"))
    elif problem := dns_subdomain_error(meta.name):
        issues.append(FieldIssue("metadata.name", problem))
    if meta.namespace and (problem := dns_label_error(meta.namespace)):
        issues.append(FieldIssue("metadata.namespace", problem))
    if meta.namespace and not kind.namespaced:
        issues.append(
            FieldIssue("metadata.namespace", f"not allowed: {kind.kind} is cluster-scoped")
        )
    return [*issues, *_label_issues(meta), *_annotation_issues(meta), *_finalizer_issues(meta)]


def _label_issues(meta: ObjectMeta) -> list[FieldIssue]:
    issues = []
    for key, value in meta.labels.items():
        path = field_path(("metadata", "labels", key))
        if problem := qualified_name_error(key):
            issues.append(FieldIssue(path, f"key {problem}"))
        if problem := label_value_error(value):
            issues.append(FieldIssue(path, f"value {problem}"))
    return issues


def _annotation_issues(meta: ObjectMeta) -> list[FieldIssue]:
    issues = []
    for key in meta.annotations:
        if problem := qualified_name_error(key):
            path = field_path(("metadata", "annotations", key))
            issues.append(FieldIssue(path, f"key {problem}"))
    size = sum(len(k.encode()) + len(v.encode()) for k, v in meta.annotations.items())
    if size > MAX_ANNOTATIONS_BYTES:
        issues.append(
            FieldIssue("metadata.annotations", f"must total at most {MAX_ANNOTATIONS_BYTES} bytes")
        )
    return issues


def _finalizer_issues(meta: ObjectMeta) -> list[FieldIssue]:
    return [
        FieldIssue(field_path(("metadata", "finalizers", i)), problem)
        for i, name in enumerate(meta.finalizers)
        if (problem := qualified_name_error(name))
    ]
