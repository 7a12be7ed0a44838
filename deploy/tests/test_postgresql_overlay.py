"""overlays/postgresql: the hub's base as several replicas on one PostgreSQL, rendered by kustomize.

The schemas are checked with the other manifests (test_manifests.py); these tests check what
the overlay changes against the base, and that nothing else changes.
"""

import base64
import os
import secrets
import shutil
import textwrap
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest

from deploy.images import ROOT, Service, coordinates
from deploy.tests.test_manifests import HUB, load_all, one, render, schema_errors
from felhom_hub.config import Settings, load_settings

OVERLAY = HUB / "overlays" / "postgresql"
DOCS = ROOT / "docs"
CHANGED_IN_THE_POD = {"containers", "volumes", "topologySpreadConstraints"}
CHANGED_IN_THE_CONTAINER = {"env", "livenessProbe", "startupProbe", "volumeMounts"}


@pytest.fixture(scope="module")
def objects(kubectl_binary: Path) -> list[Any]:
    return render(OVERLAY, kubectl_binary)


@pytest.fixture(scope="module")
def base_objects(kubectl_binary: Path) -> list[Any]:
    return render(HUB / "base", kubectl_binary)


def pod_of(objects: list[Any]) -> Any:
    return one(objects, "Deployment")["spec"]["template"]["spec"]


def container_of(objects: list[Any]) -> Any:
    (container,) = pod_of(objects)["containers"]
    return container


def env_of(objects: list[Any]) -> dict[str, Any]:
    return {e["name"]: e for e in container_of(objects)["env"]}


def secret_file(objects: list[Any], path: str) -> tuple[str, str]:
    """The Secret and key that the file at ``path`` in the hub's container comes from."""
    file = PurePosixPath(path)
    mounts = {m["mountPath"]: m for m in container_of(objects)["volumeMounts"]}
    mount = mounts[str(file.parent)]
    assert mount["readOnly"] is True
    volume = {v["name"]: v for v in pod_of(objects)["volumes"]}[mount["name"]]
    (item,) = [i for i in volume["secret"]["items"] if i["path"] == file.name]
    return volume["secret"]["secretName"], item["key"]


def test_three_replicas_replaced_one_at_a_time(objects: list[Any]) -> None:
    spec = one(objects, "Deployment")["spec"]
    assert spec["replicas"] == 3
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }


def test_no_volume_is_claimed_and_the_data_directory_is_an_empty_dir(
    objects: list[Any],
) -> None:
    assert "PersistentVolumeClaim" not in {o["kind"] for o in objects}
    volumes = {v["name"]: v for v in pod_of(objects)["volumes"]}
    assert volumes["data"] == {"name": "data", "emptyDir": {}}
    assert all("persistentVolumeClaim" not in v for v in volumes.values())
    mounts = {m["name"]: m["mountPath"] for m in container_of(objects)["volumeMounts"]}
    assert env_of(objects)["FELHOM_HUB_SERVER_DATA_DIR"]["value"] == mounts["data"]


def test_the_database_url_comes_from_the_params_without_a_password(objects: list[Any]) -> None:
    url = urlsplit(env_of(objects)["FELHOM_HUB_STORAGE_URL"]["value"])
    assert (url.scheme, url.username, url.password) == ("postgresql", "felhom", None)
    assert (url.hostname, url.port, url.path) == ("postgres.felhom-system.svc", 5432, "/felhom")
    assert "ConfigMap" not in {o["kind"] for o in objects}  # the params are not applied


def test_the_password_and_keys_come_from_secrets(objects: list[Any]) -> None:
    env = env_of(objects)
    password = env["FELHOM_HUB_STORAGE_PASSWORD_FILE"]["value"]
    assert secret_file(objects, password) == ("felhom-hub-db", "password")
    session_key = env["FELHOM_HUB_AUTH_SESSION_SECRET_FILE"]["value"]
    assert secret_file(objects, session_key) == ("felhom-hub-keys", "session.key")
    assert env["FELHOM_HUB_CONFIGS_SECRET_KEYS"] == {
        "name": "FELHOM_HUB_CONFIGS_SECRET_KEYS",
        "valueFrom": {"secretKeyRef": {"name": "felhom-hub-keys", "key": "config-keys"}},
    }
    # no secret value in the repository: no Secret object, no literal password or key
    assert "Secret" not in {o["kind"] for o in objects}
    literal = {
        name
        for name, e in env.items()
        if "value" in e and not name.endswith("_FILE") and ("PASSWORD" in name or "KEY" in name)
    }
    assert literal == set()


def test_liveness_is_not_the_database_dependent_health_check(objects: list[Any]) -> None:
    container = container_of(objects)
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    for probe in ("livenessProbe", "startupProbe"):
        assert "httpGet" not in container[probe], probe
        assert container[probe]["tcpSocket"] == {"port": "http"}, probe
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120  # room to migrate


def test_replicas_spread_over_nodes_and_drains_take_one_at_a_time(objects: list[Any]) -> None:
    deployment = one(objects, "Deployment")
    selector = deployment["spec"]["selector"]
    (spread,) = pod_of(objects)["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert spread["whenUnsatisfiable"] == "ScheduleAnyway"
    assert spread["labelSelector"] == selector
    budget = one(objects, "PodDisruptionBudget")
    assert budget["metadata"]["namespace"] == "felhom-system"
    assert budget["spec"]["selector"] == selector
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_everything_else_is_the_bases(objects: list[Any], base_objects: list[Any]) -> None:
    def kinds(objs: list[Any]) -> set[str]:
        return {o["kind"] for o in objs}

    assert kinds(objects) == kinds(base_objects) - {"PersistentVolumeClaim"} | {
        "PodDisruptionBudget"
    }
    for kind in ("Namespace", "Service", "Ingress"):
        assert one(objects, kind) == one(base_objects, kind), kind
    ours, base = one(objects, "Deployment"), one(base_objects, "Deployment")
    assert ours["metadata"] == base["metadata"]
    assert ours["spec"]["template"]["metadata"] == base["spec"]["template"]["metadata"]
    pod, base_pod = pod_of(objects), pod_of(base_objects)
    assert {k: v for k, v in pod.items() if k not in CHANGED_IN_THE_POD} == {
        k: v for k, v in base_pod.items() if k not in CHANGED_IN_THE_POD
    }
    container, base_container = container_of(objects), container_of(base_objects)
    assert {k: v for k, v in container.items() if k not in CHANGED_IN_THE_CONTAINER} == {
        k: v for k, v in base_container.items() if k not in CHANGED_IN_THE_CONTAINER
    }
    for key in ("env", "volumeMounts"):
        assert all(item in container[key] for item in base_container[key]), key
    base_volumes = [v for v in base_pod["volumes"] if v["name"] != "data"]
    assert all(volume in pod["volumes"] for volume in base_volumes)


def test_a_copy_of_the_overlay_takes_its_own_database_and_host(
    kubectl_binary: Path, tmp_path: Path
) -> None:
    """What the operator does: copy the folder, edit params.yaml, render."""
    copy = tmp_path / "site" / "hub"
    shutil.copytree(OVERLAY, copy)
    kustomization = copy / "kustomization.yaml"
    text = kustomization.read_text(encoding="utf-8")
    for folder in ("base", "components"):  # kustomize takes relative paths only
        text = text.replace(f"../../{folder}", os.path.relpath(HUB / folder, copy))
    kustomization.write_text(text, encoding="utf-8")
    params = copy / "params.yaml"
    params.write_text(
        params.read_text(encoding="utf-8")
        .replace("postgres.felhom-system.svc:5432/felhom", "db.example.net/fleet")
        .replace("hub.felhom.eu", "fleet.example.net"),
        encoding="utf-8",
    )
    objects = render(copy, kubectl_binary)
    url = env_of(objects)["FELHOM_HUB_STORAGE_URL"]["value"]
    assert url == "postgresql://felhom@db.example.net/fleet"
    assert one(objects, "Ingress")["spec"]["rules"][0]["host"] == "fleet.example.net"
    assert schema_errors(objects) == []


def docs_job() -> Any:
    """The Job of docs/deploy.md's data move (the one yaml block in its section)."""
    text = (DOCS / "deploy.md").read_text(encoding="utf-8")
    section = text[text.index("**Moving a SQLite hub's data.**") :]
    block = section[
        section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml"))
    ]
    (job,) = load_all(textwrap.dedent(block))
    return job


def test_the_documented_data_move_job_is_valid_and_fits_the_overlay(objects: list[Any]) -> None:
    job = docs_job()
    assert schema_errors([job]) == []
    assert job["metadata"]["namespace"] == "felhom-system"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"].rsplit(":", 1)[0] == coordinates().ref(Service.HUB).rsplit(":", 1)[0]
    url = env_of(objects)["FELHOM_HUB_STORAGE_URL"]["value"]
    assert container["args"] == ["migrate-data", "--from", "sqlite:////data/hub.db", "--to", url]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert volumes[mounts["/data"]]["persistentVolumeClaim"] == {"claimName": "hub-data"}
    job_env = {e["name"]: e["value"] for e in container["env"]}
    password = env_of(objects)["FELHOM_HUB_STORAGE_PASSWORD_FILE"]["value"]
    assert job_env == {"FELHOM_HUB_STORAGE_PASSWORD_FILE": password}
    folder = str(PurePosixPath(password).parent)
    assert volumes[mounts[folder]]["secret"]["secretName"] == "felhom-hub-db"
    assert pod["securityContext"]["runAsUser"] == 65532  # the owner of the base's hub.db


def hub_environment(objects: list[Any]) -> dict[str, str]:
    """The hub container's environment, a fresh Fernet key standing for the Secret's keys."""
    fernet = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return {name: e.get("value", fernet) for name, e in env_of(objects).items()}


def test_the_overlays_variables_are_settings_of_the_hub(objects: list[Any]) -> None:
    environ = hub_environment(objects)
    storage = {n: environ.pop(n) for n in list(environ) if n.startswith("FELHOM_HUB_STORAGE_")}
    assert set(storage) == {"FELHOM_HUB_STORAGE_URL", "FELHOM_HUB_STORAGE_PASSWORD_FILE"}
    settings = load_settings(None, environ)  # a variable naming no setting is a ConfigError
    session_key = environ["FELHOM_HUB_AUTH_SESSION_SECRET_FILE"]
    assert settings.auth.session_secret_file == Path(session_key)
    assert settings.configs.secret_keys == [environ["FELHOM_HUB_CONFIGS_SECRET_KEYS"]]
    assert settings.server.data_dir == Path("/data")


@pytest.mark.skipif(
    "storage" not in Settings.model_fields, reason="the hub's storage settings are not here yet"
)
def test_the_overlays_storage_variables_are_settings_of_the_hub(objects: list[Any]) -> None:
    load_settings(None, hub_environment(objects))  # a variable naming no setting is a ConfigError
