"""The clusterctl provider repository and the cluster template (api/release.py)."""

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from beskar7.api import components, kinds, release
from beskar7.api.validation import validate
from tests.api.test_crds import schema_errors, schema_of

DOCS = Path(__file__).resolve().parents[3] / "docs" / "beskar7.md"
REQUIRED = {"CLUSTER_NAME", "NAMESPACE", "KUBERNETES_VERSION", "CONTROL_PLANE_ENDPOINT_HOST",
            "BESKAR7_INSPECTION_IMAGE_URL", "BESKAR7_TARGET_OS_IMAGE_URL"}  # fmt: skip


def examples() -> dict[str, str]:
    return {name: example for name, (_, example) in release.TEMPLATE_VARIABLES.items()}


def generated(values: dict[str, str]) -> list[dict[str, Any]]:
    text = release.substitute(release.template(), values)
    return [d for d in YAML(typ="safe").load_all(text) if d is not None]


def test_clusterctl_rule_repository_layout_provider_version_and_three_files(
    tmp_path: Path,
) -> None:
    directory = release.write_repository(tmp_path)
    assert directory == tmp_path / "infrastructure-beskar7" / "v0.1.0"
    assert sorted(p.name for p in directory.iterdir()) == sorted(release.FILES)
    assert (directory / "infrastructure-components.yaml").read_text() == components.generate()
    metadata = YAML(typ="safe").load((directory / "metadata.yaml").read_text())
    assert metadata["releaseSeries"] == [{"major": 0, "minor": 1, "contract": "v1beta2"}]
    assert (directory / "cluster-template.yaml").read_text() == release.template()


def test_main_prints_the_providers_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    components_file = tmp_path / "infrastructure-beskar7" / "v0.1.0" / release.FILES[0]
    assert f"url: file://{components_file}" in out and "type: InfrastructureProvider" in out
    assert release.main([]) == 2


def test_every_template_variable_is_listed_with_an_example_and_documented() -> None:
    used = components.variables(release.template())
    assert used == set(release.TEMPLATE_VARIABLES)
    docs = DOCS.read_text()
    for name in used:
        assert f"| `{name}` |" in docs, f"{name} is not in the docs/beskar7.md variable table"


def test_only_the_variables_without_a_default_are_required() -> None:
    with pytest.raises(release.MissingVariableError) as missing:
        release.substitute(release.template(), {})
    assert str(missing.value) == "no value for " + ", ".join(sorted(REQUIRED))
    only_required = {k: v for k, v in examples().items() if k in REQUIRED}
    objects = generated(only_required)
    kcp = next(o for o in objects if o["kind"] == "KubeadmControlPlane")
    assert kcp["spec"]["replicas"] == 1, "the default"


def test_the_template_holds_the_clusters_objects_and_they_refer_to_each_other() -> None:
    objects = generated(examples())
    assert sorted(o["kind"] for o in objects) == sorted(
        ["Cluster", "Beskar7Cluster", "KubeadmControlPlane", "Beskar7MachineTemplate",
         "Beskar7MachineTemplate", "MachineDeployment", "KubeadmConfigTemplate"]
    )  # fmt: skip
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    refs = []
    for obj in objects:
        spec = obj["spec"]
        for ref in (spec.get("infrastructureRef"), spec.get("controlPlaneRef")):
            refs.append(ref)
        refs.append(spec.get("machineTemplate", {}).get("infrastructureRef"))
        template = spec.get("template", {}).get("spec", {})
        refs += [template.get("infrastructureRef"), template.get("bootstrap", {}).get("configRef")]
    for ref in filter(None, refs):
        assert (ref["kind"], ref["name"]) in names, ref


def test_every_beskar7_object_of_the_template_validates_against_its_crd() -> None:
    for obj in generated(examples()):
        if not obj["apiVersion"].startswith(kinds.GROUP):
            continue
        kind = kinds.kind_of(obj)
        validate(kind, obj)  # the models (the CRDs are generated from them)
        assert schema_errors(schema_of(kind), obj) == [], obj["metadata"]["name"]


def test_endpoint_the_template_sets_the_vip_on_cluster_and_beskar7_cluster() -> None:
    """The documented path: the user-set VIP, known before KubeadmControlPlane's first Machine."""
    objects = {o["kind"]: o for o in generated(examples())}
    vip = {"host": "192.0.2.100", "port": 6443}
    assert objects["Cluster"]["spec"]["controlPlaneEndpoint"] == vip
    assert objects["Beskar7Cluster"]["spec"]["controlPlaneEndpoint"] == vip
    kube_vip = objects["KubeadmControlPlane"]["spec"]["kubeadmConfigSpec"]["files"][0]
    assert "192.0.2.100" in kube_vip["content"]


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("${A}", {"A": "1"}, "1"),
        ("${A:=2}", {}, "2"),
        ("${A:=2}", {"A": ""}, "2"),
        ("${A=2}", {"A": ""}, ""),
        ("${A:-x y}", {"A": "z"}, "z"),
    ],
)
def test_substitute_follows_clusterctl(text: str, values: dict[str, str], expected: str) -> None:
    assert release.substitute(text, values) == expected
