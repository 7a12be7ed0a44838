"""How `beskar7 get` prints objects: a table with the kind's printer columns, YAML or JSON."""

import io
import json
from collections.abc import Sequence
from datetime import datetime

from ruamel.yaml import YAML

from beskar7.api.columns import columns
from beskar7.api.kinds import Kind, Obj

FORMATS = ("table", "yaml", "json", "name")


def render(
    kind: Kind,
    objects: Sequence[Obj],
    fmt: str,
    now: datetime,
    *,
    single: bool,
    all_namespaces: bool = False,
) -> str:
    """`objects` in format `fmt`; `single` prints one object rather than a List for yaml/json,
    `all_namespaces` adds a namespace column to a table."""
    if fmt == "name":
        return "".join(f"{kind.plural}/{o['metadata']['name']}\n" for o in objects)
    if fmt in ("yaml", "json"):
        doc = objects[0] if single else {"apiVersion": "v1", "kind": "List", "items": list(objects)}
        return to_json(doc) if fmt == "json" else to_yaml(doc)
    return table(kind, objects, now, all_namespaces=all_namespaces)


def table(kind: Kind, objects: Sequence[Obj], now: datetime, *, all_namespaces: bool) -> str:
    cols = columns(kind)
    header = [c.name.upper() for c in cols]
    header.insert(0, "NAME")
    if all_namespaces:
        header.insert(0, "NAMESPACE")
    rows = [header]
    for obj in objects:
        meta = obj["metadata"]
        row = [meta["name"], *(c.value(obj, now) for c in cols)]
        if all_namespaces:
            row.insert(0, meta.get("namespace", ""))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "   ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return "\n".join(lines) + "\n"


def to_json(doc: object) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def to_yaml(doc: object) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()
