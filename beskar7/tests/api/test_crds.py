"""The committed CRDs are what the models generate, and they are valid structural schemas."""

import functools
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from beskar7.api import crds, kinds
from beskar7.api.columns import columns, parse_json_path
from beskar7.api.kinds import Kind
from beskar7.api.validation import validate
from tests.api import manifests

BESKAR7 = Path(__file__).resolve().parents[2]
BASES = BESKAR7 / "config" / "crd" / "bases"
REGENERATE = (
    "run `beskar7 crds --output-dir beskar7/config/crd/bases` "
    "(or `python -m beskar7.api.crds beskar7/config/crd/bases`)"
)
FORBIDDEN = {"$ref", "$defs", "anyOf", "oneOf", "allOf", "not", "nullable", "definitions"}
PRESERVE = "x-kubernetes-preserve-unknown-fields"
KNOWN_METADATA = {"name", "namespace", "labels", "annotations", "creationTimestamp", "uid"}


def load_yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


@functools.cache
def generated() -> dict[str, str]:
    return crds.generate()


def crd_of(kind: Kind) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(generated()[crds.file_name(kind)])
    return data


def schema_of(kind: Kind) -> dict[str, Any]:
    schema: dict[str, Any] = crd_of(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_committed_crds_match_the_models() -> None:
    generated = crds.generate()
    committed = {p.name: p.read_text(encoding="utf-8") for p in sorted(BASES.glob("*.yaml"))}
    assert set(committed) == set(generated), f"CRD files differ from the models: {REGENERATE}"
    for name, text in generated.items():
        assert committed[name] == text, f"{name} is out of date: {REGENERATE}"


def test_generation_is_deterministic_and_yaml_reads_back() -> None:
    assert crds.generate() == crds.generate()
    for kind in kinds.OWN_KINDS:
        assert crd_of(kind) == crds.crd(kind)


def test_main_writes_the_files(tmp_path: Path) -> None:
    assert crds.main([str(tmp_path / "out")]) == 0
    written = {p.name: p.read_text() for p in (tmp_path / "out").iterdir()}
    assert written == crds.generate()
    assert crds.main([]) == 2


def test_module_runs_as_a_script(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "beskar7.api.crds", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(crds.generate())


def walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every schema node with its path."""
    found = [(path, node)]
    for name, sub in node.get("properties", {}).items():
        found += walk(sub, f"{path}.{name}")
    if isinstance(node.get("additionalProperties"), dict):
        found += walk(node["additionalProperties"], f"{path}.*")
    if "items" in node:
        found += walk(node["items"], f"{path}[]")
    return found


@pytest.mark.parametrize("kind", kinds.OWN_KINDS, ids=str)
def test_schema_is_structural(kind: Kind) -> None:
    preserved = []
    for path, node in walk(schema_of(kind)):
        assert not FORBIDDEN & node.keys(), f"{path}: {FORBIDDEN & node.keys()}"
        assert "type" in node or node.get(PRESERVE), f"{path}: no type"
        assert not ("properties" in node and "additionalProperties" in node), path
        assert "default" not in node or node["default"] is not None, path
        if node.get(PRESERVE):
            preserved.append(path)
        if "required" in node:
            assert set(node["required"]) <= node["properties"].keys(), path
    assert preserved == [], "nothing in beskar7's API is free-form"


@pytest.mark.parametrize("kind", kinds.OWN_KINDS, ids=str)
def test_crd_identity(kind: Kind) -> None:
    crd = crd_of(kind)
    assert crd["metadata"]["name"] == f"{kind.plural}.infrastructure.cluster.x-k8s.io"
    contract = {"cluster.x-k8s.io/v1beta2": "v1beta1"}
    if kind == kinds.PHYSICAL_HOST:  # no Cluster owns hosts: clusterctl move carries them all
        contract["clusterctl.cluster.x-k8s.io/move-hierarchy"] = ""
    assert crd["metadata"]["labels"] == contract
    spec = crd["spec"]
    assert spec["group"] == "infrastructure.cluster.x-k8s.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["kind"] == kind.kind
    assert spec["names"]["listKind"] == f"{kind.kind}List"
    assert spec["names"]["plural"] == kind.plural
    assert spec["names"]["singular"] == kind.kind.lower()
    assert spec["names"]["categories"] == ["cluster-api"]
    assert spec["names"].get("shortNames", []) == list(kind.short_names)
    (version,) = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1beta1", True, True)
    assert ("subresources" in version) == kind.status_subresource
    if kind.status_subresource:
        assert version["subresources"] == {"status": {}}
    assert schema_of(kind)["properties"]["metadata"] == {"type": "object"}


def test_short_names() -> None:
    assert crd_of(kinds.PHYSICAL_HOST)["spec"]["names"]["shortNames"] == ["ph"]
    assert crd_of(kinds.BESKAR7_MACHINE_TEMPLATE)["spec"]["names"]["shortNames"] == ["b7mt"]


def test_physical_host_schema_carries_the_rules() -> None:
    spec = schema_of(kinds.PHYSICAL_HOST)["properties"]["spec"]
    assert spec["required"] == ["redfishConnection"]
    connection = spec["properties"]["redfishConnection"]
    assert connection["required"] == ["address", "credentialsSecretRef"]
    props = connection["properties"]
    assert props["address"]["pattern"] == r"^(https?://)[a-zA-Z0-9.-]+(:[0-9]+)?(/.*)?$"
    assert props["credentialsSecretRef"]["minLength"] == 1
    assert props["insecureSkipVerify"] == {
        "default": False,
        "description": props["insecureSkipVerify"]["description"],
        "type": "boolean",
    }
    status = schema_of(kinds.PHYSICAL_HOST)["properties"]["status"]["properties"]
    assert status["state"]["enum"] == [
        "", "Unknown", "Enrolling", "Available", "InUse", "Inspecting", "Ready", "Error",
        "Releasing"
    ]  # fmt: skip
    report = status["inspectionReport"]["properties"]
    assert report["disks"]["items"]["properties"]["sizeGB"]["type"] == "integer"
    assert report["nics"]["items"]["properties"]["ipAddresses"]["items"]["type"] == "string"


def test_infracluster_rule_failure_domains_are_the_v1beta2_list_of_named_domains() -> None:
    """InfraCluster contract v1beta2: status.failureDomains is a list of {name, controlPlane,
    attributes} (CAPI >= 1.11 rejects the v1beta1 map)."""
    status = schema_of(kinds.BESKAR7_CLUSTER)["properties"]["status"]["properties"]
    domains = status["failureDomains"]
    assert domains["type"] == "array"
    item = domains["items"]
    assert item["properties"]["controlPlane"]["type"] == "boolean"
    assert item["properties"]["name"]["type"] == "string"
    assert "name" in item["required"]


def test_cluster_schema_port_range() -> None:
    spec = schema_of(kinds.BESKAR7_CLUSTER)["properties"]["spec"]
    port = spec["properties"]["controlPlaneEndpoint"]["properties"]["port"]
    assert (port["minimum"], port["maximum"], port["type"]) == (1, 65535, "integer")


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (kinds.BESKAR7_MACHINE, ("spec",)),
        (kinds.BESKAR7_MACHINE_TEMPLATE, ("spec", "template", "spec")),
    ],
)
def test_machine_schema_lists_both_names_and_requires_one_by_cel(
    kind: Kind, path: tuple[str, ...]
) -> None:
    node = schema_of(kind)
    for part in path:
        node = node["properties"][part]
    props = node["properties"]
    for canonical, upstream in (
        ("inspectionImage", "inspectionImageURL"),
        ("targetOSImage", "targetImageURL"),
    ):
        assert props[canonical]["pattern"] == props[upstream]["pattern"] == r"^https?://\S+$"
        assert canonical not in node.get("required", [])
        rules = [r["rule"] for r in node["x-kubernetes-validations"]]
        assert f"has(self.{canonical}) || has(self.{upstream})" in rules
    minimums = props["hardwareRequirements"]["properties"]
    assert {name: s["minimum"] for name, s in minimums.items()} == {
        "minCPUCores": 1,
        "minDiskGB": 1,
        "minMemoryGB": 1,
    }
    assert props["osFamily"]["enum"] == ["kairos", "talos", "flatcar", "leap-micro", "cloud-init"]


def resolve(schema: dict[str, Any], parts: list[str | int]) -> dict[str, Any] | None:
    node = schema
    for part in parts:
        if node.get("type") == "object" and "properties" not in node and node is not schema:
            return node  # metadata: free-form as far as the CRD is concerned
        if isinstance(part, int):
            node = node.get("items", {})
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return node


@pytest.mark.parametrize("kind", kinds.OWN_KINDS, ids=str)
def test_printer_columns_come_from_columns_and_point_into_the_schema(kind: Kind) -> None:
    version = crd_of(kind)["spec"]["versions"][0]
    printed = version["additionalPrinterColumns"]
    assert [(c["name"], c["jsonPath"], c["type"]) for c in printed] == [
        (c.name, c.json_path, c.type) for c in columns(kind)
    ]
    for column in printed:
        parts = parse_json_path(column["jsonPath"])
        assert resolve(schema_of(kind), parts) is not None, column
        if parts[0] == "metadata":
            assert parts[1] in KNOWN_METADATA, column


def test_printer_columns_match_upstream() -> None:
    def table(kind: Kind) -> list[tuple[str, str]]:
        return [
            (c["name"], c["jsonPath"])
            for c in crd_of(kind)["spec"]["versions"][0]["additionalPrinterColumns"]
        ]

    age = ("Age", ".metadata.creationTimestamp")
    cluster = ("Cluster", r".metadata.labels.cluster\.x-k8s\.io/cluster-name")
    assert table(kinds.PHYSICAL_HOST) == [
        ("State", ".status.state"),
        ("Ready", ".status.ready"),
        age,
    ]
    assert table(kinds.BESKAR7_MACHINE) == [
        cluster,
        ("Machine", r".metadata.labels.cluster\.x-k8s\.io/machine-name"),
        ("Phase", ".status.phase"),
        age,
    ]
    assert table(kinds.BESKAR7_CLUSTER) == [
        cluster,
        ("Ready", ".status.ready"),
        ("Endpoint", ".spec.controlPlaneEndpoint.host"),
        age,
    ]


def schema_errors(schema: dict[str, Any], value: Any, path: str = "") -> list[str]:
    """A small structural-schema checker, enough to cross-check the CRDs against the models."""
    kind = schema.get("type")
    checks = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int}
    if kind in checks and not isinstance(value, checks[kind]):
        return [f"{path}: not {kind}"]
    failed: dict[str, Callable[[], bool]] = {
        "enum": lambda: value not in schema["enum"],
        "pattern": lambda: not re.search(schema["pattern"], value),
        "minimum": lambda: value < schema["minimum"],
        "maximum": lambda: value > schema["maximum"],
        "minLength": lambda: len(value) < schema["minLength"],
    }
    errors = [f"{path}: {rule}" for rule, check in failed.items() if rule in schema and check()]
    errors += [f"{path}.{r}: required" for r in schema.get("required", []) if r not in value]
    for name, sub in value.items() if kind == "object" else ():
        sub_schema = schema.get("properties", {}).get(name, schema.get("additionalProperties"))
        if isinstance(sub_schema, dict):
            errors += schema_errors(sub_schema, sub, f"{path}.{name}")
        elif "properties" in schema and path != ".metadata":
            errors.append(f"{path}.{name}: unknown")
    for i, item in enumerate(value) if kind == "array" else ():
        errors += schema_errors(schema["items"], item, f"{path}[{i}]")
    return errors


@pytest.mark.parametrize(
    "text",
    [
        manifests.PHYSICAL_HOST,
        manifests.MACHINE,
        manifests.UPSTREAM_MACHINE,
        manifests.TEMPLATE,
        manifests.CLUSTER,
    ],
)
def test_objects_the_models_accept_the_crd_schema_accepts(text: str) -> None:
    obj = manifests.load(text)
    kind = kinds.kind_of(obj)
    assert schema_errors(schema_of(kind), obj) == []
    assert schema_errors(schema_of(kind), validate(kind, obj)) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda o: o["spec"]["redfishConnection"].update(address="ftp://x"), "address: pattern"),
        (lambda o: o["spec"]["redfishConnection"].update(credentialsSecretRef=""), "minLength"),
        (lambda o: o["spec"]["redfishConnection"].pop("address"), "address: required"),
        (lambda o: o["status"].update(state="Bogus"), "state: enum"),
        (lambda o: o["spec"].update(consumerRf={}), "consumerRf: unknown"),
    ],
)
def test_objects_the_models_reject_the_crd_schema_rejects(edit: Any, expected: str) -> None:
    obj = manifests.load(manifests.PHYSICAL_HOST)
    edit(obj)
    errors = schema_errors(schema_of(kinds.PHYSICAL_HOST), obj)
    assert any(expected in e for e in errors), errors


def test_api_version_labels_rule_crd_labels_name_the_contract_metadata_yaml_names() -> None:
    """Provider contract, "API version labels": each CRD maps the contract to its versions;
    clusterctl's metadata.yaml must name the same contract for the release series."""
    metadata = YAML(typ="safe").load((BESKAR7 / "metadata.yaml").read_text())
    contracts = {series["contract"] for series in metadata["releaseSeries"]}
    for kind in kinds.OWN_KINDS:
        labelled = {
            k.rpartition("/")[2]
            for k in crd_of(kind)["metadata"]["labels"]
            if k.startswith("cluster.x-k8s.io/")
        }
        assert labelled == contracts == {"v1beta2"}, kind
