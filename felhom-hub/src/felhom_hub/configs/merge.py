"""Round-trip YAML: load keeping comments and key order, deep-merge overrides, render.

Merge rule: mappings recurse key by key; everything else — scalars and lists — replaces; an
empty mapping replaces too (so "no legacy UUIDs" can be said). New keys go after the template's.
"""

import io
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError


class TemplateError(ValueError):
    """The text is not a YAML mapping."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096  # long tokens stay on one line
    yaml.preserve_quotes = True
    return yaml


def load(text: str, what: str = "the template") -> CommentedMap:
    try:
        document = _yaml().load(text)
    except YAMLError as exc:
        raise TemplateError(f"{what} is not valid YAML: {_first_line(exc)}") from None
    if not isinstance(document, CommentedMap):
        raise TemplateError(f"{what} is not a YAML mapping")
    return document


def load_plain(text: str, what: str) -> dict[str, Any]:
    """The text as plain data (the safe loader, no comments kept), for comparing. Pure Python
    like the round-trip loader, so both read YAML 1.2 alike (libyaml's C loader reads 1.1:
    it refuses ``{a: 127.0.0.1:80}``, which the round-trip dumper writes)."""
    try:
        document = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise TemplateError(f"{what} is not valid YAML: {_first_line(exc)}") from None
    if not isinstance(document, dict):
        raise TemplateError(f"{what} is not a YAML mapping")
    return {str(key): value for key, value in document.items()}


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def to_yaml_value(value: Any) -> Any:
    """Plain Python data as round-trip nodes, in block style."""
    if isinstance(value, Mapping):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = to_yaml_value(item)
        return node
    if isinstance(value, list | tuple):
        seq = CommentedSeq(to_yaml_value(item) for item in value)
        seq.fa.set_flow_style()  # lists read best inline: [a, b]
        return seq
    return value


def deep_merge(base: CommentedMap, top: Mapping[str, Any]) -> None:
    """Merge ``top`` into ``base`` in place (see the module docstring for the rule)."""
    for key, value in top.items():
        current = base.get(key)
        if isinstance(value, Mapping) and value and isinstance(current, CommentedMap):
            if not current:
                current.fa.set_block_style()
            deep_merge(current, value)
        else:
            replacement = to_yaml_value(value)
            if isinstance(replacement, CommentedMap) and replacement:
                replacement.fa.set_block_style()
            base[key] = replacement


def render(document: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def plain(value: Any) -> Any:
    """Round-trip nodes as plain dicts, lists and scalars."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value
