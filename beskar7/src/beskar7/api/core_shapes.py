"""Basic shape checks of the kinds beskar7 does not own (core and CAPI kinds).

Each check takes an object without its metadata and returns it as it should be stored
(a Secret's `stringData` folded into base64 `data`) with the problems found.
"""

import base64
import binascii
import copy
from collections.abc import Callable

from pydantic import BaseModel, Field

from beskar7.api.capi import Cluster, Machine, Reference
from beskar7.api.errors import FieldIssue
from beskar7.api.issues import field_path, strict_check
from beskar7.api.kinds import CLUSTER, CONFIG_MAP, EVENT, LEASE, MACHINE, SECRET, Obj
from beskar7.api.meta import SpecModel, StatusModel
from beskar7.api.names import config_key_error


class _SecretShape(SpecModel):
    api_version: str
    kind: str
    data: dict[str, str] = Field(default_factory=dict)
    string_data: dict[str, str] = Field(default_factory=dict)
    type: str = "Opaque"
    immutable: bool | None = None


class _ConfigMapShape(SpecModel):
    api_version: str
    kind: str
    data: dict[str, str] = Field(default_factory=dict)
    binary_data: dict[str, str] = Field(default_factory=dict)
    immutable: bool | None = None


class _EventShape(StatusModel):
    involved_object: Reference | None = None
    reason: str | None = None
    message: str | None = None
    type: str | None = None
    count: int | None = None


class _LeaseSpec(StatusModel):
    holder_identity: str | None = None
    lease_duration_seconds: int | None = None
    acquire_time: str | None = None
    renew_time: str | None = None
    lease_transitions: int | None = None


class _LeaseShape(StatusModel):
    spec: _LeaseSpec | None = None


def _key_issues(field: str, data: dict[str, str], base64_values: bool) -> list[FieldIssue]:
    issues = []
    for key, value in data.items():
        path = field_path((field, key))
        if problem := config_key_error(key):
            issues.append(FieldIssue(path, problem))
        if base64_values and not _is_base64(value):
            issues.append(FieldIssue(path, "must be base64-encoded"))
    return issues


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def check_secret(body: Obj) -> tuple[Obj, list[FieldIssue]]:
    """Kubernetes semantics: `stringData` values win over `data` and are stored encoded."""
    shape, issues = strict_check(_SecretShape, body)
    if shape is None:
        return {}, issues
    issues += _key_issues("data", shape.data, base64_values=True)
    issues += _key_issues("stringData", shape.string_data, base64_values=False)
    result = {k: copy.deepcopy(v) for k, v in body.items() if k != "stringData"}
    data = dict(shape.data)
    for key, value in shape.string_data.items():
        data[key] = base64.b64encode(value.encode()).decode()
    if data or "data" in body:
        result["data"] = data
    result["type"] = shape.type
    return result, issues


def check_config_map(body: Obj) -> tuple[Obj, list[FieldIssue]]:
    shape, issues = strict_check(_ConfigMapShape, body)
    if shape is None:
        return {}, issues
    issues += _key_issues("data", shape.data, base64_values=False)
    issues += _key_issues("binaryData", shape.binary_data, base64_values=True)
    both = shape.data.keys() & shape.binary_data.keys()
    issues += [
        FieldIssue(field_path(("binaryData", key)), "key is also in data") for key in sorted(both)
    ]
    return copy.deepcopy(body), issues


def _shape_only(model: type[BaseModel]) -> Callable[[Obj], tuple[Obj, list[FieldIssue]]]:
    def check(body: Obj) -> tuple[Obj, list[FieldIssue]]:
        _, issues = strict_check(model, body)
        return copy.deepcopy(body), issues

    return check


def unchecked(body: Obj) -> tuple[Obj, list[FieldIssue]]:
    return copy.deepcopy(body), []


CHECKS: dict[str, Callable[[Obj], tuple[Obj, list[FieldIssue]]]] = {
    SECRET.key: check_secret,
    CONFIG_MAP.key: check_config_map,
    EVENT.key: _shape_only(_EventShape),
    LEASE.key: _shape_only(_LeaseShape),
    CLUSTER.key: _shape_only(Cluster),
    MACHINE.key: _shape_only(Machine),
}
