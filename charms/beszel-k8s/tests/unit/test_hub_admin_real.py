"""hub_admin and beszel_api against real PocketBase: 0.39.11 (as Beszel embeds) and newest.

Beszel's /api/beszel routes come from the JS hooks in tests/unit/beszel_hooks.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import beszel
import hub_admin
from beszel_api import HubClient, HubError
from tests.unit.pocketbase_server import PocketBase
from tests.unit.test_hub_admin import OIDC, S3

GITHUB = {"name": "github", "clientId": "gh-id", "clientSecret": "gh-secret"}


def _stored_providers(server: PocketBase, client: HubClient) -> list[tuple[str, str]]:
    """(name, clientSecret) as stored, read by a test-only hook route (the API hides them)."""
    response = httpx.get(
        f"{server.url}/api/test/oauth2-secrets",
        headers={"Authorization": client._token or ""},
        timeout=10,
    )
    response.raise_for_status()
    return [(p["name"], p["clientSecret"]) for p in response.json()]


def _add_by_hand(client: HubClient, provider: dict[str, Any]) -> None:
    """What an admin does in the UI: append a provider to the listed (secret-less) ones."""
    oauth2 = client.get_collection("users")["oauth2"]
    oauth2["providers"].append(provider)
    client.update_collection("users", {"oauth2": oauth2})


def test_superuser_login_and_wrong_password(pocketbase: PocketBase) -> None:
    client = HubClient(pocketbase.url)
    assert client.is_healthy()
    with pytest.raises(HubError) as failed:
        client.login(pocketbase.email, "not-the-password")
    assert failed.value.status == 400
    client.login(pocketbase.email, pocketbase.password)
    assert client.get_collection("users")["name"] == "users"


def test_settings_log_level_and_s3(real_client: HubClient) -> None:
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=8, s3=S3))
    settings = real_client._request("GET", "/api/settings")
    assert settings["logs"]["minLevel"] == 8
    s3 = settings["backups"]["s3"]
    assert (s3["enabled"], s3["endpoint"], s3["bucket"], s3["region"]) == (
        True,
        "https://s3.example.com",
        "beszel",
        "eu-west-1",
    )
    assert s3["forcePathStyle"] is True
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=-4))
    settings = real_client._request("GET", "/api/settings")
    assert settings["logs"]["minLevel"] == -4
    assert settings["backups"]["s3"]["enabled"] is False


def test_s3_without_endpoint_is_refused_by_pocketbase(real_client: HubClient) -> None:
    broken = hub_admin.S3Target("", "beszel", "eu-west-1", "AK", "SK", False)
    with pytest.raises(HubError, match="endpoint"):
        hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=0, s3=broken))


def test_oidc_replaced_in_place_keeps_hand_added_secret(
    pocketbase: PocketBase, real_client: HubClient
) -> None:
    """The charm's provider came first, an admin added GitHub after it, then a reconcile."""
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    _add_by_hand(real_client, GITHUB)
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    assert _stored_providers(pocketbase, real_client) == [
        ("oidc", "client-secret-1"),
        ("github", "gh-secret"),
    ]


def test_oidc_added_after_a_hand_made_provider(
    pocketbase: PocketBase, real_client: HubClient
) -> None:
    _add_by_hand(real_client, GITHUB)
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    assert _stored_providers(pocketbase, real_client) == [
        ("github", "gh-secret"),
        ("oidc", "client-secret-1"),
    ]
    assert real_client.get_collection("users")["oauth2"]["enabled"] is True


def test_relation_removed_never_moves_a_secret(
    pocketbase: PocketBase, real_client: HubClient
) -> None:
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    _add_by_hand(real_client, GITHUB)
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=0))
    stored = _stored_providers(pocketbase, real_client)
    assert ("github", "gh-secret") in stored
    assert all(secret != "client-secret-1" for name, secret in stored if name != "oidc")


def test_relation_removed_drops_a_last_oidc(
    pocketbase: PocketBase, real_client: HubClient
) -> None:
    _add_by_hand(real_client, GITHUB)
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    hub_admin.apply_settings(real_client, hub_admin.HubSettings(log_level=0))
    assert _stored_providers(pocketbase, real_client) == [("github", "gh-secret")]


def test_backups_create_list_restore(pocketbase: PocketBase, real_client: HubClient) -> None:
    real_client.create_backup("beszel_charm_20261206010000.zip")
    keys = [b.key for b in real_client.list_backups()]
    assert keys == ["beszel_charm_20261206010000.zip"]
    assert real_client.list_backups()[0].size > 0
    # backup-now's backup-path: PocketBase writes local backups to <data dir>/backups.
    path = beszel.backup_path("beszel_charm_20261206010000.zip", None)
    local = pocketbase.data_dir / "backups" / Path(path).name
    assert path.startswith(f"{beszel.DATA_DIR}/backups/")
    assert local.is_file()
    with pytest.raises(HubError) as bad_name:
        real_client.create_backup("Not Valid.zip")
    assert bad_name.value.status == 400
    real_client.restore_backup("beszel_charm_20261206010000.zip")
    # PocketBase restarts itself after a restore; it comes back on the same port.
    deadline = time.monotonic() + 20
    while not real_client.is_healthy() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert real_client.is_healthy()


def test_superuser_password_rotation_via_cli(pocketbase: PocketBase) -> None:
    """What rotate-admin-password runs in the container: ``superuser upsert``."""
    pocketbase.cli("superuser", "upsert", pocketbase.email, "rotated-password-2")
    client = HubClient(pocketbase.url)
    with pytest.raises(HubError):
        client.login(pocketbase.email, pocketbase.password)
    client.login(pocketbase.email, "rotated-password-2")


def test_agent_token_through_impersonation(pocketbase: PocketBase, real_client: HubClient) -> None:
    issued = hub_admin.issue_agent_token(real_client)
    assert issued.hub_key.startswith("ssh-ed25519 ")
    user_id = real_client.find_user(hub_admin.AGENT_OWNER_EMAIL)
    assert user_id is not None
    stored = real_client._request("GET", f"/api/test/universal-token/{user_id}")
    assert stored == {"token": issued.token, "permanent": True}
    with pytest.raises(HubError) as superuser:
        real_client.enable_universal_token(real_client._token or "", "abc")
    assert superuser.value.status == 403


def _user_login(server: PocketBase, email: str, password: str) -> httpx.Response:
    body = {"identity": email, "password": password}
    url = f"{server.url}/api/collections/users/auth-with-password"
    return httpx.post(url, json=body, timeout=10)


def test_first_user_can_log_in(pocketbase: PocketBase, real_client: HubClient) -> None:
    assert hub_admin.ensure_first_user(real_client, "operator@beszel.charm", "first-pass-123")
    login = _user_login(pocketbase, "operator@beszel.charm", "first-pass-123")
    assert login.status_code == 200
    assert login.json()["record"]["role"] == "admin"
    assert not hub_admin.ensure_first_user(real_client, "operator@beszel.charm", "other-pass-1")
    assert real_client.count_users() == 1


def test_first_user_not_created_beside_people(real_client: HubClient) -> None:
    hub_admin.issue_agent_token(real_client)  # the charm's agents account is not a person
    assert real_client.count_users(except_email=hub_admin.AGENT_OWNER_EMAIL) == 0
    real_client.create_user("alice@example.com", "alice-pass-123", "user")
    assert not hub_admin.ensure_first_user(real_client, "operator@beszel.charm", "pw-123456")
    assert real_client.find_user("operator@beszel.charm") is None
