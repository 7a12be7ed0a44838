"""The deployment manifests: kustomize tree, generated infrastructure-components.yaml, metadata."""

import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from beskar7.api import components, crds
from beskar7.api.kinds import (
    ALL_KINDS,
    BESKAR7_CLUSTER,
    BESKAR7_CLUSTER_TEMPLATE,
    BESKAR7_MACHINE,
    BESKAR7_MACHINE_TEMPLATE,
    CLUSTER,
    CONFIG_MAP,
    EVENT,
    LEASE,
    MACHINE,
    OWN_KINDS,
    PHYSICAL_HOST,
    SECRET,
    Kind,
    Obj,
)
from beskar7.cli import main as cli

BESKAR7 = Path(__file__).resolve().parents[1]
CONFIG = BESKAR7 / "config"
REGENERATE = "run `uv run python -m beskar7.api.components` to regenerate it"
NAMESPACE = "beskar7-system"
PROVIDER_LABEL = ("cluster.x-k8s.io/provider", "infrastructure-beskar7")
AGGREGATE_LABEL = ("cluster.x-k8s.io/aggregate-to-manager", "true")

READ = frozenset({"get", "list", "watch"})
WRITE = frozenset({"patch", "update"})
CLUSTER_WIDE: dict[Kind, frozenset[str]] = {
    PHYSICAL_HOST: READ | WRITE,
    BESKAR7_MACHINE: READ | WRITE,
    BESKAR7_CLUSTER: READ | WRITE,
    BESKAR7_MACHINE_TEMPLATE: READ,
    BESKAR7_CLUSTER_TEMPLATE: READ,
    SECRET: READ | {"patch"},  # BMC credentials (labelled for clusterctl move), bootstrap data
    CONFIG_MAP: READ | WRITE | {"create"},  # inspection reports
    EVENT: frozenset({"create", "patch"}),
    CLUSTER: READ,
    MACHINE: READ,
}
"""What the manager does to each kind anywhere (the ClusterRole)."""
OWN_NAMESPACE: dict[Kind, frozenset[str]] = {LEASE: frozenset({"get", "create", "update"})}
"""What it does in its own namespace only (the leader-election Role)."""
RECONCILED = (PHYSICAL_HOST, BESKAR7_MACHINE, BESKAR7_CLUSTER)
"""Kinds with a controller: their /status and /finalizers are written too."""
CAPI_VERBS = READ | WRITE | {"create", "delete"}

Triple = tuple[str, str, str]


def load_all(text: str) -> list[Any]:
    return [d for d in YAML(typ="safe").load_all(text) if d is not None]


@pytest.fixture(scope="module")
def generated() -> str:
    return components.generate()


@pytest.fixture(scope="module")
def objects(generated: str) -> list[Obj]:
    return load_all(generated)


def key(obj: Obj) -> tuple[str, str | None, str]:
    return obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"]


def one(objects: list[Obj], kind: str, name: str | None = None) -> Obj:
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def triples(rules: list[dict[str, Any]]) -> set[Triple]:
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule.get("apiGroups", [])
        for resource in rule.get("resources", [])
        for verb in rule.get("verbs", [])
    }


def needed(table: dict[Kind, frozenset[str]]) -> set[Triple]:
    found = {(k.group, k.plural, verb) for k, verbs in table.items() for verb in verbs}
    for kind in (k for k in RECONCILED if k in table):
        found |= {(kind.group, f"{kind.plural}/finalizers", "update")}
        if kind.status_subresource:
            found |= {(kind.group, f"{kind.plural}/status", v) for v in ("get", "patch", "update")}
    return found


def manager_container(objects: list[Obj]) -> dict[str, Any]:
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["manager"]
    container: dict[str, Any] = pod["containers"][0]
    return container


def container_port(container: dict[str, Any], port: int | str) -> int:
    """A probe's or Service's port (number or name) as the container's port number."""
    numbers = {p["name"]: p["containerPort"] for p in container["ports"]}
    if isinstance(port, int):
        assert port in numbers.values(), f"port {port} is not a container port"
        return port
    assert port in numbers, f"no container port named {port}"
    return int(numbers[port])


def flag(container: dict[str, Any], name: str) -> str:
    values = [str(a).split("=", 1)[1] for a in container["args"] if a.startswith(f"--{name}=")]
    assert len(values) == 1, f"--{name} given {len(values)} times"
    return values[0]


def config_files() -> Iterator[Path]:
    """The component manifests (templates/ holds the cluster template: test_release.py)."""
    templates = CONFIG / "templates"
    yield from sorted(p for p in CONFIG.rglob("*.yaml") if templates not in p.parents)
    yield BESKAR7 / "metadata.yaml"


# -- the files ---------------------------------------------------------------------------------


def test_every_manifest_parses_and_names_its_objects() -> None:
    for path in config_files():
        documents = load_all(path.read_text(encoding="utf-8"))
        assert documents, f"{path} is empty"
        for doc in documents:
            assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), path
            if doc["kind"] not in ("Kustomization", "Metadata"):
                assert doc["metadata"]["name"], f"{path}: {doc['kind']} without a name"


def test_the_committed_components_are_generated(generated: str) -> None:
    committed = components.RELEASE_FILE.read_text(encoding="utf-8")
    assert committed == generated, f"{components.RELEASE_FILE} is out of date: {REGENERATE}"


def test_generation_is_deterministic(generated: str) -> None:
    assert components.generate() == generated


def test_objects_are_unique_and_in_apply_order(objects: list[Obj]) -> None:
    meta = [o["metadata"] for o in objects]
    keys = Counter(
        (o["kind"], m.get("namespace"), m["name"]) for o, m in zip(objects, meta, strict=True)
    )
    assert [k for k, n in keys.items() if n > 1] == []
    ranks = [components.APPLY_ORDER.index(o["kind"]) for o in objects]
    assert ranks == sorted(ranks)
    assert [o["kind"] for o in objects][:2] == ["Namespace", "CustomResourceDefinition"]
    assert objects[-1]["kind"] == "Deployment"


def test_one_namespace_holds_every_namespaced_object(objects: list[Obj]) -> None:
    assert one(objects, "Namespace")["metadata"]["name"] == NAMESPACE
    for obj in objects:
        namespace = obj["metadata"].get("namespace")
        if obj["kind"] in components.CLUSTER_SCOPED:
            assert namespace is None, f"{obj['kind']} is cluster-scoped"
        else:
            assert namespace == NAMESPACE, f"{obj['kind']} {obj['metadata']['name']}"


def test_every_object_carries_the_provider_label(objects: list[Obj]) -> None:
    key, value = PROVIDER_LABEL
    for obj in objects:
        assert obj["metadata"]["labels"][key] == value, obj["metadata"]["name"]


# -- CRDs --------------------------------------------------------------------------------------


def test_every_crd_base_is_listed_and_included(objects: list[Obj]) -> None:
    bases = sorted(p.name for p in (CONFIG / "crd" / "bases").glob("*.yaml"))
    kustomization = load_all((CONFIG / "crd" / "kustomization.yaml").read_text())[0]
    assert sorted(Path(r).name for r in kustomization["resources"]) == bases
    included = {o["metadata"]["name"]: o for o in of_kind(objects, "CustomResourceDefinition")}
    assert len(included) == len(bases) == len(OWN_KINDS)
    for kind in OWN_KINDS:
        crd = crds.crd(kind)
        got = dict(included[crd["metadata"]["name"]])
        got["metadata"] = {**got["metadata"], "labels": dict(got["metadata"]["labels"])}
        del got["metadata"]["labels"][PROVIDER_LABEL[0]]
        assert got == crd, f"{kind.kind}: the components' CRD differs from the model's"


# -- the Deployment and its Services -----------------------------------------------------------


def test_the_deployment_runs_the_manager(objects: list[Obj]) -> None:
    container = manager_container(objects)
    assert container["command"] == ["beskar7"]
    assert container["args"][:2] == ["manager", "--leader-elect"]
    # the default is the built image, pinned from deploy/images.env (deploy/tests checks which)
    assert re.fullmatch(r"\$\{BESKAR7_IMAGE:=[a-z0-9./:-]+/beskar7:[\w.-]+\}", container["image"])
    assert flag(container, "bootstrap-url-base") == "${BESKAR7_BOOTSTRAP_URL_BASE}"
    assert container["resources"]["requests"].keys() == {"cpu", "memory"}
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_the_manager_accepts_its_arguments(objects: list[Obj]) -> None:
    container = manager_container(objects)
    env = {"$(POD_NAMESPACE)": NAMESPACE}
    args = [
        re.sub(r"\$\(\w+\)", lambda m: env[m.group(0)], components.VARIABLE.sub("x", a))
        for a in container["args"]
    ]
    parsed = cli._parser().parse_args(args)
    assert parsed.leader_elect is True
    assert parsed.leader_election_namespace == NAMESPACE
    assert [e["name"] for e in container["env"]] == ["POD_NAMESPACE"]


def test_probes_and_ports_match_the_flags(objects: list[Obj]) -> None:
    container = manager_container(objects)
    probe_port = int(flag(container, "health-probe-bind-address").rpartition(":")[2])
    assert probe_port == 8081
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        http = container[probe]["httpGet"]
        assert (http["path"], container_port(container, http["port"])) == (path, probe_port)
    metrics_port = int(flag(container, "metrics-bind-address").rpartition(":")[2])
    callback_port = int(flag(container, "inspection-port"))
    ports = sorted(p["containerPort"] for p in container["ports"])
    assert ports == sorted({metrics_port, probe_port, callback_port}) == [8080, 8081, 8082]


def test_services_select_the_managers_pods(objects: list[Obj]) -> None:
    deployment = one(objects, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    container = manager_container(objects)
    served = {}
    for service in of_kind(objects, "Service"):
        assert service["spec"]["selector"].items() <= pod_labels.items()
        for port in service["spec"]["ports"]:
            served[service["metadata"]["name"]] = (
                port["port"],
                container_port(container, port["targetPort"]),
            )
    assert served["beskar7-callback"] == (8082, 8082)
    assert sorted(served.values()) == [(8080, 8080), (8082, 8082)]


# -- RBAC --------------------------------------------------------------------------------------


def test_the_table_decides_every_kind() -> None:
    assert set(CLUSTER_WIDE) | set(OWN_NAMESPACE) == set(ALL_KINDS)


def test_the_manager_role_grants_exactly_what_the_controllers_use(objects: list[Obj]) -> None:
    role = one(objects, "ClusterRole", "beskar7-manager-role")
    granted = triples(role["rules"])
    assert granted - needed(CLUSTER_WIDE) == set(), "more than the controllers use"
    assert needed(CLUSTER_WIDE) - granted == set(), "the controllers use more"
    election = one(objects, "Role", "beskar7-leader-election-role")
    assert triples(election["rules"]) == needed(OWN_NAMESPACE)


def test_bindings_join_existing_roles_and_the_service_account(objects: list[Obj]) -> None:
    accounts = {
        (o["metadata"]["namespace"], o["metadata"]["name"])
        for o in of_kind(objects, "ServiceAccount")
    }
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert (NAMESPACE, pod["serviceAccountName"]) in accounts
    roles = {(o["kind"], o["metadata"]["name"]) for o in objects if o["kind"].endswith("Role")}
    bindings = [*of_kind(objects, "ClusterRoleBinding"), *of_kind(objects, "RoleBinding")]
    assert {b["roleRef"]["name"] for b in bindings} == {
        "beskar7-manager-role",
        "beskar7-leader-election-role",
    }
    for binding in bindings:
        ref = binding["roleRef"]
        assert ref["apiGroup"] == "rbac.authorization.k8s.io"
        assert (ref["kind"], ref["name"]) in roles, f"{binding['metadata']['name']}: no role"
        for subject in binding["subjects"]:
            assert subject["kind"] == "ServiceAccount"
            assert (subject["namespace"], subject["name"]) in accounts


def test_cluster_api_may_manage_beskar7s_kinds(objects: list[Obj]) -> None:
    key, value = AGGREGATE_LABEL
    aggregated = [r for r in of_kind(objects, "ClusterRole") if r["metadata"]["labels"].get(key)]
    assert len(aggregated) == 1 and aggregated[0]["metadata"]["labels"][key] == value
    granted = triples(aggregated[0]["rules"])
    assert granted == {(k.group, k.plural, v) for k in OWN_KINDS for v in CAPI_VERBS}


# -- clusterctl --------------------------------------------------------------------------------


def test_metadata_yaml_names_the_contract() -> None:
    metadata = load_all((BESKAR7 / "metadata.yaml").read_text())
    assert metadata == [
        {
            "apiVersion": "clusterctl.cluster.x-k8s.io/v1alpha3",
            "kind": "Metadata",
            "releaseSeries": [{"major": 0, "minor": 1, "contract": "v1beta2"}],
        }
    ]


def test_every_variable_is_documented_in_the_header(generated: str) -> None:
    head = "".join(line + "\n" for line in generated.splitlines() if line.startswith("#"))
    assert generated.startswith(head) and head == components.header()
    assert components.variables(head) == set(), "clusterctl would read a variable in a comment"
    body = generated[len(head) :]
    used = components.variables(body)
    assert used == set(components.VARIABLES)
    for name in used:
        assert re.search(rf"^#\s+{name}\s+\S", head, re.M), f"{name} is not documented"
    in_config = set().union(*(components.variables(p.read_text()) for p in config_files()))
    assert in_config == used


def test_the_command_writes_the_file_or_prints_it(tmp_path: Path, generated: str) -> None:
    target = tmp_path / "out" / "infrastructure-components.yaml"
    out = io.StringIO()
    with redirect_stdout(out):
        assert components.main([str(target)]) == 0
    assert target.read_text() == generated and out.getvalue() == f"{target}\n"
    out = io.StringIO()
    with redirect_stdout(out):
        assert components.main(["-"]) == 0
    assert out.getvalue() == generated
    assert components.main(["a", "b"]) == 2


@pytest.mark.parametrize(
    ("kustomization", "problem"),
    [
        ("resources: [x.yaml]\npatches: []\n", "unsupported fields ['patches']"),
        ("resources: [x.yaml]\nlabels: [{pairs: {a: b}, fieldSpecs: []}]\n", "labels entry"),
        ("resources: [missing.yaml]\n", "missing.yaml"),
    ],
)
def test_build_refuses_what_it_does_not_do(
    tmp_path: Path, kustomization: str, problem: str
) -> None:
    (tmp_path / "kustomization.yaml").write_text(kustomization)
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(components.ComponentsError, match=re.escape(problem)):
        components.build(tmp_path)


def test_an_object_without_a_place_in_the_order_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [x.yaml]\n")
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(components.ComponentsError, match="ConfigMap x: no place"):
        components.generate(tmp_path)
