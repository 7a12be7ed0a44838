"""Strict validation of JSON data with a model, reported as `FieldIssue`s.

Data is checked the way the Kubernetes API server decodes JSON: no type coercion (`"1"` is
not an integer, `"true"` not a boolean). Messages never contain the offending value.
"""

import json
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from beskar7.api.errors import FieldIssue

M = TypeVar("M", bound=BaseModel)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "bool_type": "must be a boolean",
}


def field_path(parts: Sequence[str | int]) -> str:
    """`("spec", "disks", 0, "sizeGB")` -> `spec.disks[0].sizeGB`; odd keys go in brackets."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part}]"
    return out


def _issue(error: ErrorDetails, prefix: Sequence[str | int]) -> FieldIssue:
    loc = [*prefix, *error["loc"]]
    ctx = error.get("ctx") or {}
    if isinstance(ctx.get("field"), str):
        loc.append(ctx["field"])
    message = _MESSAGES.get(error["type"]) or error["msg"]
    return FieldIssue(field_path(loc), message)


def strict_check(
    model: type[M], data: Any, prefix: Sequence[str | int] = ()
) -> tuple[M | None, list[FieldIssue]]:
    """The model instance, or None and what is wrong (paths prefixed by `prefix`)."""
    try:
        text = json.dumps(data)
    except (TypeError, ValueError):
        return None, [FieldIssue(field_path(prefix) or "(object)", "must be plain JSON data")]
    try:
        return model.model_validate_json(text, strict=True), []
    except ValidationError as exc:
        return None, [_issue(e, prefix) for e in exc.errors(include_input=False)]
