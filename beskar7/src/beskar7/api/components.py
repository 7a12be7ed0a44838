"""clusterctl's `infrastructure-components.yaml`, built from the kustomize tree in beskar7/config.

kustomize is not at hand, so `build` does what `kustomize build config/default` does with the
few features these files use (resources, namespace, labels) and refuses anything else, so the
files stay the single source of truth. `generate()` orders the objects as they must be applied
(Namespace, CRDs, RBAC, Services, Deployment) under a header documenting every clusterctl
variable; `python -m beskar7.api.components [FILE|-]` writes it (by default to
beskar7/config/release/infrastructure-components.yaml, which is committed).
"""

import copy
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from beskar7.api.crds import to_yaml
from beskar7.api.kinds import Obj

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
"""beskar7/config in a source checkout (the manifests are not part of the wheel)."""
DEFAULT_DIR = CONFIG_DIR / "default"
RELEASE_FILE = CONFIG_DIR / "release" / "infrastructure-components.yaml"

VARIABLES = {
    "BESKAR7_IMAGE": (
        "controller image (default: the one `make images` builds, as pinned in "
        "config/manager/manager.yaml from deploy/images.env)"
    ),
    "BESKAR7_BOOTSTRAP_URL_BASE": (
        "required: base URL at which booting hosts reach the callback server (Service "
        "beskar7-callback, port 8082, exposed to the hosts' network), "
        "e.g. http://192.0.2.10:30882"
    ),
}
"""The clusterctl variables (`${NAME}` or `${NAME:=default}`) the manifests use."""
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[=-][^}]*)?\}")

APPLY_ORDER = (
    "Namespace",
    "CustomResourceDefinition",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "Deployment",
)
CLUSTER_SCOPED = frozenset(
    {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
)
_SUPPORTED = frozenset({"apiVersion", "kind", "resources", "namespace", "labels"})
_LABEL_OPTIONS = frozenset({"pairs", "includeSelectors", "includeTemplates"})


class ComponentsError(ValueError):
    """The config tree uses something `build` does not do; the message names the file."""


def _documents(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
        return [d for d in YAML(typ="safe", pure=True).load_all(text) if d is not None]
    except (OSError, YAMLError) as exc:
        raise ComponentsError(f"{path}: {exc}") from None


def _objects(path: Path) -> list[Obj]:
    found = _documents(path)
    for doc in found:
        if not isinstance(doc, dict) or not {"apiVersion", "kind", "metadata"} <= doc.keys():
            raise ComponentsError(f"{path}: every document must be an object with kind")
    return found


def build(directory: Path = DEFAULT_DIR) -> list[Obj]:
    """The objects `kustomize build directory` yields, in resource order."""
    kustomization_file = directory / "kustomization.yaml"
    docs = _documents(kustomization_file)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise ComponentsError(f"{kustomization_file}: expected one Kustomization")
    kustomization: dict[str, Any] = docs[0]
    unsupported = sorted(kustomization.keys() - _SUPPORTED)
    if unsupported:
        raise ComponentsError(f"{kustomization_file}: unsupported fields {unsupported}")
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        objects += build(path) if path.is_dir() else _objects(path)
    for label in kustomization.get("labels", []):
        if not isinstance(label, dict) or label.keys() - _LABEL_OPTIONS:
            raise ComponentsError(f"{kustomization_file}: unsupported labels entry {label}")
        _add_labels(objects, label)
    if "namespace" in kustomization:
        _set_namespace(objects, str(kustomization["namespace"]))
    return objects


def _add_labels(objects: list[Obj], label: dict[str, Any]) -> None:
    pairs = {str(k): str(v) for k, v in label.get("pairs", {}).items()}
    selectors = bool(label.get("includeSelectors", False))
    templates = selectors or bool(label.get("includeTemplates", False))
    for obj in objects:
        obj["metadata"].setdefault("labels", {}).update(pairs)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            continue
        if templates and isinstance(spec.get("template"), dict):
            spec["template"].setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        if selectors and obj["kind"] == "Service":
            spec.setdefault("selector", {}).update(pairs)
        elif selectors and isinstance(spec.get("selector"), dict):
            spec["selector"].setdefault("matchLabels", {}).update(pairs)


def _set_namespace(objects: list[Obj], namespace: str) -> None:
    for obj in objects:
        if obj["kind"] not in CLUSTER_SCOPED:
            meta = obj["metadata"]
            obj["metadata"] = {"name": meta.get("name"), "namespace": namespace, **meta}
            obj["metadata"]["namespace"] = namespace
        for subject in obj.get("subjects", []):
            if subject.get("kind") == "ServiceAccount":
                subject["namespace"] = namespace


def ordered(objects: list[Obj]) -> list[Obj]:
    """Objects in apply order (stable within a kind); an unplaced kind is an error."""
    for obj in objects:
        if obj["kind"] not in APPLY_ORDER:
            raise ComponentsError(f"{obj['kind']} {obj['metadata']['name']}: no place in order")
    return sorted(objects, key=lambda obj: APPLY_ORDER.index(obj["kind"]))


def header() -> str:
    width = max(len(name) for name in VARIABLES)
    lines = [
        "# beskar7 infrastructure-components.yaml: the Cluster API infrastructure provider for",
        "# bare metal. Generated from beskar7/config/default by",
        "# `python -m beskar7.api.components`; edit those files and regenerate, not this one.",
        "#",
        "# clusterctl variables (no braces here: clusterctl reads comments too):",
    ]
    for name, text in VARIABLES.items():
        wrapped = textwrap.wrap(text, 96 - width - 4) or [""]
        lines.append(f"#   {name:<{width}}  {wrapped[0]}")
        lines += [f"#   {'':<{width}}  {more}" for more in wrapped[1:]]
    return "\n".join(lines) + "\n"


def generate(directory: Path = DEFAULT_DIR) -> str:
    """The text of infrastructure-components.yaml."""
    objects = ordered(copy.deepcopy(build(directory)))
    return header() + "".join(to_yaml(obj) for obj in objects)


def variables(text: str) -> set[str]:
    """Names of the clusterctl variables `text` uses."""
    return set(VARIABLE.findall(text))


def write(path: Path = RELEASE_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        sys.stderr.write("usage: python -m beskar7.api.components [OUTPUT-FILE | -]\n")
        return 2
    if args == ["-"]:
        sys.stdout.write(generate())
        return 0
    sys.stdout.write(f"{write(Path(args[0]) if args else RELEASE_FILE)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
