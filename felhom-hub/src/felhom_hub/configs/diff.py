"""Value-based diff of two controller.yaml files, per dotted key, secrets masked.

Mappings are compared key by key whatever their order (comments and formatting do not count);
a list or scalar is one value. The direction is "what a push would change": *added* keys are
in the hub's file only, *removed* ones in the controller's only, *changed* ones show the
controller's value as old and the hub's as new. Keys in ``volatile`` (and below them) are
left out: values a node may rewrite on its own.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from felhom_hub.configs.merge import load_plain

MASK = "••••••"
_SECRET_WORDS = ("key", "token", "password", "secret")
VOLATILE: tuple[str, ...] = ()


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class DiffRow:
    key: str
    change: Change
    old: Any  # the controller's value (masked), None when added
    new: Any  # the hub's value (masked), None when removed


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; an empty mapping is a value of its own."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def is_secret(path: str) -> bool:
    return any(word in part.lower() for part in path.split(".") for word in _SECRET_WORDS)


def masked(path: str, value: Any) -> Any:
    """``value`` with every secret in it (by key name, at any depth) replaced by MASK."""
    if is_secret(path):
        return MASK if value not in ("", None, {}, []) else value
    if isinstance(value, dict):
        return {k: masked(f"{path}.{k}", v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(path + ".item", v) if isinstance(v, dict | list) else v for v in value]
    return value


def _volatile(path: str, volatile: tuple[str, ...]) -> bool:
    return any(path == v or path.startswith(v + ".") for v in volatile)


def diff_trees(
    hub: dict[str, Any], controller: dict[str, Any], volatile: tuple[str, ...] = VOLATILE
) -> list[DiffRow]:
    ours, theirs = flatten(hub), flatten(controller)
    rows = []
    for key in sorted(ours.keys() | theirs.keys()):
        if _volatile(key, volatile):
            continue
        if key not in theirs:
            rows.append(DiffRow(key, Change.ADDED, None, masked(key, ours[key])))
        elif key not in ours:
            rows.append(DiffRow(key, Change.REMOVED, masked(key, theirs[key]), None))
        elif ours[key] != theirs[key]:
            old, new = masked(key, theirs[key]), masked(key, ours[key])
            rows.append(DiffRow(key, Change.CHANGED, old, new))
    return rows


def diff_yaml(hub: str, controller: str, volatile: tuple[str, ...] = VOLATILE) -> list[DiffRow]:
    """TemplateError when either text is not a YAML mapping."""
    ours = load_plain(hub, "the hub's config")
    theirs = load_plain(controller, "the controller's config")
    return diff_trees(ours, theirs, volatile)
