"""CustomResourceDefinitions of beskar7's kinds, generated from the models.

`python -m beskar7.api.crds <dir>` writes them (as `beskar7 crds --output-dir <dir>` does).
"""

import io
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from beskar7.api.columns import columns
from beskar7.api.kinds import OWN_KINDS, PHYSICAL_HOST, Kind
from beskar7.api.structural import Schema, structural
from beskar7.api.validation import OWN_MODELS

CONTRACT = "v1beta2"
"""The Cluster API contract beskar7 implements; metadata.yaml names the same one."""
CONTRACT_LABELS = {f"cluster.x-k8s.io/{CONTRACT}": "v1beta1"}
"""Contract version -> this CRD's versions (the contract's "API version labels" rule)."""
MOVE_HIERARCHY_LABEL = "clusterctl.cluster.x-k8s.io/move-hierarchy"
MOVE_LABEL = "clusterctl.cluster.x-k8s.io/move"
MOVED_WITH_HIERARCHY = frozenset({PHYSICAL_HOST.key})
"""Kinds no Cluster owns, which `clusterctl move` must still carry with their dependants (the
clusterctl provider contract: the label may sit on the CRD, applying to every object)."""
CATEGORIES = ["cluster-api"]

_TYPE_META = {
    "apiVersion": {
        "description": "The versioned schema of this representation of an object.",
        "type": "string",
    },
    "kind": {"description": "The REST resource this object represents.", "type": "string"},
    "metadata": {"type": "object"},
}


def file_name(kind: Kind) -> str:
    return f"{kind.group}_{kind.plural}.yaml"


def openapi_schema(kind: Kind) -> Schema:
    """The structural openAPIV3Schema of `kind`, from its model."""
    model = OWN_MODELS[kind.key]
    schema = structural(model.model_json_schema(by_alias=True, mode="validation"))
    schema["properties"] = {**schema["properties"], **_TYPE_META}
    schema["properties"] = dict(sorted(schema["properties"].items()))
    schema["required"] = [r for r in schema.get("required", []) if r not in _TYPE_META]
    if not schema["required"]:
        del schema["required"]
    return schema


def _printer_columns(kind: Kind) -> list[dict[str, Any]]:
    return [
        {"description": c.description, "jsonPath": c.json_path, "name": c.name, "type": c.type}
        for c in columns(kind)
    ]


def labels(kind: Kind) -> dict[str, str]:
    found = dict(CONTRACT_LABELS)
    if kind.key in MOVED_WITH_HIERARCHY:
        found[MOVE_HIERARCHY_LABEL] = ""
    return found


def crd(kind: Kind) -> dict[str, Any]:
    version: dict[str, Any] = {"name": kind.version}
    printer_columns = _printer_columns(kind)
    if printer_columns:
        version["additionalPrinterColumns"] = printer_columns
    version |= {"schema": {"openAPIV3Schema": openapi_schema(kind)}, "served": True}
    version["storage"] = True
    if kind.status_subresource:
        version["subresources"] = {"status": {}}
    names: dict[str, Any] = {"categories": CATEGORIES, "kind": kind.kind}
    names |= {"listKind": f"{kind.kind}List", "plural": kind.plural}
    if kind.short_names:
        names["shortNames"] = sorted(kind.short_names)
    names["singular"] = kind.singular
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"labels": labels(kind), "name": f"{kind.plural}.{kind.group}"},
        "spec": {
            "group": kind.group,
            "names": names,
            "scope": "Namespaced" if kind.namespaced else "Cluster",
            "versions": [dict(sorted(version.items()))],
        },
    }


def to_yaml(document: dict[str, Any]) -> str:
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    out = io.StringIO()
    out.write("---\n")
    yaml.dump(document, out)
    return out.getvalue()


def generate() -> dict[str, str]:
    """File name -> YAML text of the CRD, for each of beskar7's kinds."""
    return {file_name(kind): to_yaml(crd(kind)) for kind in sorted(OWN_KINDS, key=file_name)}


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generate().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m beskar7.api.crds <output-directory>\n")
        return 2
    for path in write(Path(args[0])):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
