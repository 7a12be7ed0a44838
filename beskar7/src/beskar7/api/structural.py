"""Turn a pydantic JSON schema into a Kubernetes structural schema.

Structural means: every node has a `type` (or `x-kubernetes-preserve-unknown-fields`), no
`$ref`/`$defs`, no `anyOf`/`oneOf`/`allOf` used for types, no `properties` next to
`additionalProperties`. Optional fields are simply not `required` (never `nullable`).
"""

from typing import Any

Schema = dict[str, Any]

_DROPPED = {"title", "$defs", "additionalProperties", "anyOf", "$ref", "const", "default"}
PRESERVE = "x-kubernetes-preserve-unknown-fields"


class SchemaError(ValueError):
    """The model uses a construct a structural schema cannot express."""


def structural(schema: Schema) -> Schema:
    """The structural form of a pydantic `model_json_schema()` result."""
    return _convert(schema, schema.get("$defs", {}), "")


def _resolve(node: Schema, defs: Schema, where: str) -> Schema:
    """Inline `$ref` and unwrap `anyOf: [X, null]`; the node's own keys win (description)."""
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        own = {k: v for k, v in node.items() if k != "$ref"}
        return _resolve({**target, **own}, defs, where)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o != {"type": "null"}]
        if len(options) != 1:
            raise SchemaError(f"{where or '(root)'}: a union of types is not structural")
        own = {k: v for k, v in node.items() if k != "anyOf"}
        return _resolve({**options[0], **own}, defs, where)
    for combinator in ("oneOf", "allOf", "not"):
        if combinator in node:
            raise SchemaError(f"{where or '(root)'}: {combinator} is not supported")
    return node


def _convert(node: Schema, defs: Schema, where: str) -> Schema:
    node = _resolve(node, defs, where)
    out: Schema = {k: v for k, v in node.items() if k not in _DROPPED and k != "properties"}
    if "const" in node:
        out["enum"] = [node["const"]]
    if node.get("default") is not None:
        out["default"] = node["default"]
    if "properties" in node:
        out["properties"] = {
            name: _convert(sub, defs, f"{where}.{name}")
            for name, sub in sorted(node["properties"].items())
        }
    if isinstance(node.get("additionalProperties"), dict) and "properties" not in node:
        out["additionalProperties"] = _convert(node["additionalProperties"], defs, f"{where}.*")
    if "items" in node:
        out["items"] = _convert(node["items"], defs, f"{where}[]")
    if "required" in node:
        out["required"] = sorted(node["required"])
        if not out["required"]:
            del out["required"]
    if (
        out.get("type") == "object"
        and "properties" not in out
        and "additionalProperties" not in out
    ):
        out[PRESERVE] = True
    if "type" not in out and not out.get(PRESERVE):
        raise SchemaError(f"{where or '(root)'}: no type")
    return dict(sorted(out.items()))
