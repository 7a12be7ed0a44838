"""Reading manifests: YAML or JSON documents from a file, a directory or standard input."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from beskar7.api.kinds import Obj

SUFFIXES = (".yaml", ".yml", ".json")


class ManifestError(ValueError):
    """A manifest could not be read; the message names the file and, where known, the line."""


def load(source: str) -> list[Obj]:
    """Every object in `source` (a file, a directory of manifests, or "-" for stdin), in order.

    `List` objects are flattened into their items; empty documents are skipped."""
    if source == "-":
        return _parse("<stdin>", sys.stdin.read())
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES)
        return [obj for f in files for obj in _parse(str(f), _read(f))]
    return _parse(source, _read(path))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read: {exc}") from None


def _parse(name: str, text: str) -> list[Obj]:
    yaml = YAML(typ="safe", pure=True)
    try:
        documents = list(yaml.load_all(text))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ManifestError(f"{name}{where}: {problem}") from None
    return [obj for index, doc in enumerate(documents) for obj in _objects(name, index, doc)]


def _objects(name: str, index: int, doc: Any) -> Iterator[Obj]:
    if doc is None:
        return
    if not isinstance(doc, dict):
        raise ManifestError(f"{name} document {index + 1}: expected an object, got {_type(doc)}")
    obj: Obj = json.loads(json.dumps(doc, default=str))  # plain JSON types only (dates as text)
    if obj.get("kind") == "List" and isinstance(obj.get("items"), list):
        for item in obj["items"]:
            yield from _objects(name, index, item)
        return
    yield obj


def _type(value: Any) -> str:
    return "a list" if isinstance(value, list) else type(value).__name__
