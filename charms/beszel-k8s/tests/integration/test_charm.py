"""End-to-end checks on a real Juju model (skipped where Juju is not available)."""

from __future__ import annotations

import json
import shlex

import jubilant
import pytest
import yaml

from tests.integration.conftest import PROJECT, charm_path, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

APP = "beszel"


def _image() -> str:
    meta = yaml.safe_load((PROJECT / "charmcraft.yaml").read_text())
    return str(meta["resources"]["beszel-image"]["upstream-source"])


def _listed_backups(juju: jubilant.Juju) -> list[str]:
    listing = json.loads(juju.run(f"{APP}/0", "list-backups").results["backups"])
    return [str(b["key"]) for b in listing]


def _python_in_charm_container(juju: jubilant.Juju, code: str, *args: str) -> int:
    # `juju exec` hands its arguments to a shell, so quote them into one command line.
    task = juju.exec(shlex.join(["python3", "-c", code, *args]), unit=f"{APP}/0")
    return task.return_code


def test_deploy_becomes_active(juju: jubilant.Juju) -> None:
    juju.deploy(
        str(charm_path()),
        APP,
        resources={"beszel-image": _image()},
        storage={"beszel-data": "1G"},
    )
    juju.wait(jubilant.all_active)
    assert juju.status().apps[APP].units[f"{APP}/0"].workload_status.message == (
        "Beszel Hub is ready"
    )


def test_hub_is_served_on_pod_address(juju: jubilant.Juju) -> None:
    # `juju exec` runs in the charm container; reaching the pod IP proves --http=0.0.0.0.
    address = juju.status().apps[APP].units[f"{APP}/0"].address
    probe = (
        "import urllib.request, sys; "
        f"sys.exit(urllib.request.urlopen('http://{address}:8090/api/health').status != 200)"
    )
    assert _python_in_charm_container(juju, probe) == 0


def test_get_admin_url_returns_service_url(juju: jubilant.Juju) -> None:
    task = juju.run(f"{APP}/0", "get-admin-url")
    assert task.results["admin-url"].endswith(":8090/_/")


def test_first_user_logs_in_to_beszel(juju: jubilant.Juju) -> None:
    """The documented way in: the beszel-user secret's credentials on the hub's login."""
    secret_id = juju.run(f"{APP}/0", "get-admin-url").results["user-secret-id"]
    content = juju.show_secret(secret_id, reveal=True).content
    body = json.dumps({"identity": content["email"], "password": content["password"]})
    login = (
        "import sys, urllib.request; "
        "r = urllib.request.Request('http://localhost:8090/api/collections/users/"
        "auth-with-password', data=sys.argv[1].encode(), "
        "headers={'Content-Type': 'application/json'}); "
        "sys.exit(urllib.request.urlopen(r).status != 200)"
    )
    assert _python_in_charm_container(juju, login, body) == 0


def test_create_agent_token_is_registered(juju: jubilant.Juju) -> None:
    task = juju.run(f"{APP}/0", "create-agent-token", {"description": "itest"})
    assert len(task.results["token"]) == 32
    assert task.results["hub-key"].startswith("ssh-ed25519 ")


def test_backup_now_then_list(juju: jubilant.Juju) -> None:
    results = juju.run(f"{APP}/0", "backup-now").results
    assert results["backup-name"] in _listed_backups(juju)
    assert results["backup-path"] == f"/beszel_data/backups/{results['backup-name']}"


def test_restore_backup_needs_confirm_then_restores(juju: jubilant.Juju) -> None:
    name = juju.run(f"{APP}/0", "backup-now").results["backup-name"]
    with pytest.raises(jubilant.TaskError):
        juju.run(f"{APP}/0", "restore-backup", {"name": name})
    task = juju.run(f"{APP}/0", "restore-backup", {"name": name, "confirm": True})
    assert task.results["restored"] == name
    # The hub restarts itself; the charm re-applies its superuser and settings.
    juju.wait(lambda status: jubilant.all_active(status, APP))
    assert name in _listed_backups(juju)


def test_rotate_admin_password_logs_in_with_new_password(juju: jubilant.Juju) -> None:
    secret_id = juju.run(f"{APP}/0", "rotate-admin-password").results["credentials-secret-id"]
    content = juju.show_secret(secret_id, reveal=True).content
    body = json.dumps({"identity": content["email"], "password": content["password"]})
    login = (
        "import sys, urllib.request; "
        "r = urllib.request.Request('http://localhost:8090/api/collections/_superusers/"
        "auth-with-password', data=sys.argv[1].encode(), "
        "headers={'Content-Type': 'application/json'}); "
        "sys.exit(urllib.request.urlopen(r).status != 200)"
    )
    assert _python_in_charm_container(juju, login, body) == 0


def test_ingress_url_becomes_hub_url(juju: jubilant.Juju) -> None:
    juju.deploy("traefik-k8s", "traefik", channel="latest/stable", trust=True)
    juju.config("traefik", {"external_hostname": "beszel.test"})
    juju.integrate(f"{APP}:ingress", "traefik:ingress")
    juju.wait(lambda status: jubilant.all_active(status, APP, "traefik"))
    url = juju.run(f"{APP}/0", "get-admin-url").results["url"]
    assert url.startswith("http://beszel.test/")
    juju.remove_relation(f"{APP}:ingress", "traefik:ingress")
    juju.wait(lambda status: jubilant.all_active(status, APP))


def test_s3_integrator_enables_then_disables_s3(juju: jubilant.Juju) -> None:
    juju.deploy("s3-integrator", "s3", channel="1/stable")
    juju.config("s3", {"endpoint": "https://s3.example.com", "bucket": "beszel-itest"})
    juju.wait(lambda status: jubilant.all_blocked(status, "s3"))  # until it has keys
    juju.run("s3/leader", "sync-s3-credentials", {"access-key": "AK", "secret-key": "SK"})
    juju.integrate(f"{APP}:s3-credentials", "s3")
    juju.config(APP, {"s3-backup-enabled": True})
    juju.wait(lambda status: jubilant.all_active(status, APP, "s3"))
    juju.remove_relation(f"{APP}:s3-credentials", "s3")
    juju.wait(lambda status: jubilant.all_blocked(status, APP))
    juju.config(APP, reset="s3-backup-enabled")
    juju.wait(lambda status: jubilant.all_active(status, APP))


def test_invalid_log_level_blocks_then_recovers(juju: jubilant.Juju) -> None:
    juju.config(APP, {"log-level": "loud"})
    juju.wait(lambda status: jubilant.all_blocked(status, APP))
    juju.config(APP, reset="log-level")
    juju.wait(lambda status: jubilant.all_active(status, APP))


def test_port_change_moves_the_hub(juju: jubilant.Juju) -> None:
    juju.config(APP, {"port": 9090})
    juju.wait(lambda status: jubilant.all_active(status, APP))
    assert juju.run(f"{APP}/0", "get-admin-url").results["url"].endswith(":9090")
    juju.config(APP, reset="port")
    juju.wait(lambda status: jubilant.all_active(status, APP))


def test_s3_enabled_without_relation_blocks(juju: jubilant.Juju) -> None:
    juju.config(APP, {"s3-backup-enabled": True})
    juju.wait(lambda status: jubilant.all_blocked(status, APP))
    juju.config(APP, reset="s3-backup-enabled")
    juju.wait(lambda status: jubilant.all_active(status, APP))
