"""Applying desired settings and issuing agent tokens against the hub emulation."""

from __future__ import annotations

import hub_admin
from beszel_api import HubClient
from tests.unit.fake_hub import HUB_KEY, FakeHub

S3 = hub_admin.S3Target("https://s3.example.com", "beszel", "eu-west-1", "AK", "SK", True)
OIDC = hub_admin.OidcProvider(
    client_id="client-1",
    client_secret="client-secret-1",
    auth_url="https://idp.example.com/oauth2/auth",
    token_url="https://idp.example.com/oauth2/token",
    userinfo_url="https://idp.example.com/userinfo",
    jwks_url="https://idp.example.com/.well-known/jwks.json",
    issuer="https://idp.example.com",
)


def test_apply_settings_sets_log_level_and_disables_s3(client: HubClient, hub: FakeHub) -> None:
    hub.settings["backups"]["s3"] = {"enabled": True, **S3.as_settings()}
    hub_admin.apply_settings(client, hub_admin.HubSettings(log_level=8))
    assert hub.settings["logs"]["minLevel"] == 8
    assert hub.settings["backups"]["s3"]["enabled"] is False
    assert hub.users_collection["oauth2"] == {"enabled": False, "providers": []}


def test_apply_settings_enables_s3(client: HubClient, hub: FakeHub) -> None:
    hub_admin.apply_settings(client, hub_admin.HubSettings(log_level=0, s3=S3))
    s3 = hub.settings["backups"]["s3"]
    assert s3 == {
        "enabled": True,
        "endpoint": "https://s3.example.com",
        "bucket": "beszel",
        "region": "eu-west-1",
        "accessKey": "AK",
        "secret": "SK",
        "forcePathStyle": True,
    }


def test_apply_settings_configures_oidc_provider(client: HubClient, hub: FakeHub) -> None:
    hub_admin.apply_settings(client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    oauth2 = hub.users_collection["oauth2"]
    assert oauth2["enabled"] is True
    (provider,) = oauth2["providers"]
    assert provider["name"] == "oidc"
    assert provider["clientId"] == "client-1"
    assert provider["clientSecret"] == "client-secret-1"
    assert provider["userInfoURL"] == "https://idp.example.com/userinfo"
    assert provider["extra"] == {
        "jwksURL": "https://idp.example.com/.well-known/jwks.json",
        "issuers": ["https://idp.example.com"],
    }


def test_apply_settings_is_idempotent(client: HubClient, hub: FakeHub) -> None:
    desired = hub_admin.HubSettings(log_level=4, s3=S3, oidc=OIDC)
    hub_admin.apply_settings(client, desired)
    before = (hub.settings, hub.users_collection)
    hub_admin.apply_settings(client, desired)
    assert (hub.settings, hub.users_collection) == before


def test_issue_agent_token_registers_token_for_agents_user(
    client: HubClient, hub: FakeHub
) -> None:
    issued = hub_admin.issue_agent_token(client)
    owner = client.find_user(hub_admin.AGENT_OWNER_EMAIL)
    assert owner is not None
    assert hub.users[owner]["role"] == "admin"
    assert hub.universal_tokens[owner] == issued.token
    assert issued.hub_key == HUB_KEY


def test_issue_agent_token_reuses_owner_and_rotates_token(client: HubClient, hub: FakeHub) -> None:
    first = hub_admin.issue_agent_token(client)
    second = hub_admin.issue_agent_token(client)
    assert len(hub.users) == 1
    assert first.token != second.token
    assert list(hub.universal_tokens.values()) == [second.token]


def test_apply_settings_keeps_hand_made_providers(client: HubClient, hub: FakeHub) -> None:
    github = {"name": "github", "clientId": "gh", "clientSecret": "x"}
    hub.users_collection["oauth2"] = {"enabled": True, "providers": [github]}
    hub_admin.apply_settings(client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    names = [p["name"] for p in hub.users_collection["oauth2"]["providers"]]
    assert names == ["github", "oidc"]
    hub_admin.apply_settings(client, hub_admin.HubSettings(log_level=0))
    assert hub.users_collection["oauth2"] == {"enabled": True, "providers": [github]}


def test_reconcile_after_a_hand_added_provider_keeps_its_secret(
    client: HubClient, hub: FakeHub
) -> None:
    """The emulation merges by position like PocketBase 0.39: order must never change."""
    hub_admin.apply_settings(client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    github = {"name": "github", "clientId": "gh", "clientSecret": "gh-secret"}
    hub.users_collection["oauth2"]["providers"].append(github)
    hub_admin.apply_settings(client, hub_admin.HubSettings(log_level=0, oidc=OIDC))
    secrets = [(p["name"], p["clientSecret"]) for p in hub.users_collection["oauth2"]["providers"]]
    assert secrets == [("oidc", "client-secret-1"), ("github", "gh-secret")]
    hub_admin.apply_settings(client, hub_admin.HubSettings(log_level=0))
    secrets = [(p["name"], p["clientSecret"]) for p in hub.users_collection["oauth2"]["providers"]]
    assert secrets == [("oidc", "client-secret-1"), ("github", "gh-secret")]


def test_plan_oauth2_leaves_settings_alone_without_the_charm_provider() -> None:
    current = {"enabled": True, "providers": [{"name": "github", "clientId": "gh"}]}
    assert hub_admin.plan_oauth2(current, None) is None
