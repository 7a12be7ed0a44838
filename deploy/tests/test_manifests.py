"""The manifests: rendered by kustomize, validated against the Kubernetes schemas, pinned.

kustomize is kubectl's (deploy/kubectl.py, `make kubectl`); the schemas are those the PyPI
package kubernetes-validate ships (strict: unknown fields are errors too), for the oldest and
the newest Kubernetes version it knows that we support.
"""

import os
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from kubernetes_validate import utils as kv_utils
from ruamel.yaml import YAML

from beskar7.api import components
from deploy import kubectl, pins
from deploy.images import DEPLOY, Service, coordinates

HUB = DEPLOY / "felhom-hub"
VERSIONS = ("1.28.0", f"{kv_utils.latest_version()}.0")
"""k3s/Kubernetes versions to validate against (1.28: the oldest supported here)."""
NAMESPACED_IN_FELHOM_SYSTEM = ("Deployment", "Service", "PersistentVolumeClaim", "Ingress")


def load_all(text: str) -> list[Any]:
    return [d for d in YAML(typ="safe").load_all(text) if d is not None]


def schema_errors(objects: list[Any]) -> list[str]:
    errors = []
    for obj in objects:
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                name = f"{obj['kind']}/{obj['metadata']['name']}"
                errors.append(f"{name} (Kubernetes {version}): {exc.message} at {list(exc.path)}")
    return errors


def render(directory: Path, kubectl_binary: Path) -> list[Any]:
    return load_all(kubectl.kustomize(directory, kubectl_binary))


def one(objects: list[Any], kind: str) -> Any:
    (found,) = [o for o in objects if o["kind"] == kind]
    return found


@pytest.mark.parametrize(
    "directory",
    [
        HUB / "base",
        HUB / "overlays" / "example",
        HUB / "overlays" / "postgresql",
        components.DEFAULT_DIR,
    ],
    ids=["felhom-hub-base", "felhom-hub-example", "felhom-hub-postgresql", "beskar7-default"],
)
def test_every_rendered_object_matches_the_kubernetes_schemas(
    directory: Path, kubectl_binary: Path
) -> None:
    objects = render(directory, kubectl_binary)
    assert objects
    assert schema_errors(objects) == []


def test_beskar7s_release_file_matches_the_kubernetes_schemas() -> None:
    objects = load_all(components.RELEASE_FILE.read_text(encoding="utf-8"))
    assert {"Namespace", "CustomResourceDefinition", "Deployment"} <= {o["kind"] for o in objects}
    assert schema_errors(objects) == []


def test_beskar7s_python_build_is_what_kustomize_renders(kubectl_binary: Path) -> None:
    """beskar7 renders its config with its own small kustomize; the real one must agree."""
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    ours = sorted(components.build(), key=key)
    assert sorted(render(components.DEFAULT_DIR, kubectl_binary), key=key) == ours


def test_the_hub_base_is_the_seeds_deployment(kubectl_binary: Path) -> None:
    objects = render(HUB / "base", kubectl_binary)
    assert one(objects, "Namespace")["metadata"]["name"] == "felhom-system"
    for obj in objects:
        if obj["kind"] in NAMESPACED_IN_FELHOM_SYSTEM:
            assert obj["metadata"]["namespace"] == "felhom-system", obj["kind"]
    deployment = one(objects, "Deployment")
    assert (deployment["metadata"]["name"], deployment["spec"]["replicas"]) == ("hub", 1)
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == coordinates().ref(Service.HUB)
    assert container["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    }
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert volumes["config"]["secret"]["secretName"] == "felhom-hub-config"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["FELHOM_HUB_CONFIG"] == f"{mounts['config']}/hub.yaml"
    assert env["FELHOM_HUB_SERVER_DATA_DIR"] == mounts["data"] == "/data"
    claim = one(objects, "PersistentVolumeClaim")
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    service = one(objects, "Service")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    backend = one(objects, "Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"]["name"] == service["metadata"]["name"]


def write_overlay(folder: Path, host: str, secret: str) -> Path:
    folder.mkdir()
    base, component = (
        os.path.relpath(HUB / d, folder) for d in ("base", "components/ingress-params")
    )
    (folder / "kustomization.yaml").write_text(  # kustomize takes relative paths only
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources:\n- {base}\n- params.yaml\ncomponents:\n- {component}\n"
    )
    (folder / "params.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: felhom-hub-params\n"
        '  annotations:\n    config.kubernetes.io/local-config: "true"\n'
        f"data:\n  host: {host}\n  tlsSecretName: {secret}\n"
    )
    return folder


def test_an_overlay_sets_the_ingress_host_and_tls_secret(
    kubectl_binary: Path, tmp_path: Path
) -> None:
    overlay = write_overlay(tmp_path / "overlay", "fleet.example.net", "fleet-tls")
    objects = render(overlay, kubectl_binary)
    spec = one(objects, "Ingress")["spec"]
    assert spec["rules"][0]["host"] == "fleet.example.net"
    assert spec["tls"] == [{"hosts": ["fleet.example.net"], "secretName": "fleet-tls"}]
    assert "ConfigMap" not in {o["kind"] for o in objects}  # the parameters are not applied
    assert schema_errors(objects) == []


def test_a_manifest_with_a_wrong_field_is_caught() -> None:
    """The validator really checks: a typo'd field and a wrong type both fail."""
    bad = [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"prots": []}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "y"}, "spec": 1},
    ]
    errors = schema_errors(bad)
    assert any("Service/x" in e for e in errors) and any("Deployment/y" in e for e in errors)


def test_the_controller_compose_file_mounts_what_the_controller_needs() -> None:
    compose = load_all(pins.CONTROLLER_COMPOSE.read_text(encoding="utf-8"))[0]
    service = compose["services"]["felhom-controller"]
    targets = {v.removesuffix(":ro").rsplit(":", 1)[1] for v in service["volumes"]}
    assert targets == {
        "/etc/felhom/controller.yaml",
        "/var/run/docker.sock",
        "/etc/fstab",
        "/var/lib/felhom-controller",
    }
    assert "/etc/fstab:/etc/fstab:ro" in service["volumes"]
    assert service["pid"] == "host" and service["read_only"] is True
    assert service["image"].endswith(f"{coordinates().ref(Service.CONTROLLER)}}}")


def test_every_manifest_carries_the_image_of_deploy_images_env() -> None:
    assert pins.stale(coordinates()) == []
