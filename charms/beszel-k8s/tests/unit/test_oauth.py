"""The hydra oauth requirer: client registration and the OIDC provider in PocketBase."""

from __future__ import annotations

import dataclasses
import json

from ops import testing

import beszel
from charm import BeszelCharm
from tests.unit.conftest import admin_secret, container, local_app_data
from tests.unit.fake_hub import FakeHub

Ctx = testing.Context[BeszelCharm]
HOST = {"external-hostname": "beszel.example.com"}
IDP = "https://idp.example.com"


def _client_secret() -> testing.Secret:
    return testing.Secret({"secret": "oidc-client-secret"}, owner=None)


def _oauth(secret: testing.Secret | None = None) -> testing.Relation:
    remote: dict[str, str] = {}
    if secret is not None:
        remote = {
            "issuer_url": IDP,
            "authorization_endpoint": f"{IDP}/oauth2/auth",
            "token_endpoint": f"{IDP}/oauth2/token",
            "introspection_endpoint": "http://hydra-admin:4445/admin/oauth2/introspect",
            "userinfo_endpoint": f"{IDP}/userinfo",
            "jwks_endpoint": f"{IDP}/.well-known/jwks.json",
            "scope": "openid email profile",
            "client_id": "beszel-client",
            "client_secret_id": secret.id,
        }
    return testing.Relation("oauth", remote_app_name="hydra", remote_app_data=remote)


def _state(relation: testing.Relation, config: dict[str, str], *secrets: testing.Secret,
           leader: bool = True) -> testing.State:  # fmt: skip
    return testing.State(
        leader=leader,
        config=config,
        containers={container()},
        storages={testing.Storage(beszel.STORAGE)},
        secrets={admin_secret(), *secrets},
        relations={relation},
    )


def test_joined_registers_client_with_pocketbase_redirect(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _oauth()
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), _state(relation, HOST))
    data = local_app_data(out, relation)
    assert data["redirect_uri"] == "https://beszel.example.com/api/oauth2-redirect"
    assert data["scope"] == "openid email profile"
    assert json.loads(data["grant_types"]) == ["authorization_code"]


def test_ingress_https_url_is_used_for_redirect(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _oauth()
    ingress = testing.Relation(
        "ingress", remote_app_data={"ingress": json.dumps({"url": "https://i.example.com/m-b"})}
    )
    start = _state(relation, {})
    start = testing.State(
        leader=True,
        containers=start.containers,
        storages=start.storages,
        secrets=start.secrets,
        relations={relation, ingress},
    )
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), start)
    expected = "https://i.example.com/m-b/api/oauth2-redirect"
    assert local_app_data(out, relation)["redirect_uri"] == expected


def test_without_https_url_blocks_and_registers_nothing(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _oauth()
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), _state(relation, {}))
    assert local_app_data(out, relation) == {}
    assert out.unit_status == testing.BlockedStatus(
        "oauth needs an https ingress or external-hostname"
    )


def test_provider_info_configures_oidc_login(ctx: Ctx, known_admin: FakeHub) -> None:
    secret = _client_secret()
    relation = _oauth(secret)
    out = ctx.run(ctx.on.relation_changed(relation), _state(relation, HOST, secret))
    oauth2 = known_admin.users_collection["oauth2"]
    (provider,) = oauth2["providers"]
    assert oauth2["enabled"] is True
    assert provider["clientId"] == "beszel-client"
    assert provider["clientSecret"] == "oidc-client-secret"
    assert provider["authURL"] == f"{IDP}/oauth2/auth"
    assert provider["extra"]["issuers"] == [IDP]
    env = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE].environment
    assert env["USER_CREATION"] == "true"
    assert env["DISABLE_PASSWORD_AUTH"] == "true"
    assert out.unit_status == testing.ActiveStatus("Beszel Hub is ready")


def test_broken_removes_oidc_provider(ctx: Ctx, known_admin: FakeHub) -> None:
    secret = _client_secret()
    relation = _oauth(secret)
    ctx.run(ctx.on.relation_changed(relation), _state(relation, HOST, secret))
    out = ctx.run(ctx.on.relation_broken(relation), _state(relation, HOST, secret))
    assert known_admin.users_collection["oauth2"] == {"enabled": False, "providers": []}
    env = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE].environment
    assert "DISABLE_PASSWORD_AUTH" not in env


def test_non_leader_does_not_register_client(ctx: Ctx, hub: FakeHub) -> None:
    relation = _oauth()
    start = _state(relation, HOST, leader=False)
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), start)
    assert local_app_data(out, relation) == {}
    assert hub.requests == []


def test_client_secret_never_reaches_logs(ctx: Ctx, known_admin: FakeHub) -> None:
    secret = _client_secret()
    relation = _oauth(secret)
    out = ctx.run(ctx.on.relation_changed(relation), _state(relation, HOST, secret))
    logged = " ".join(line.message for line in ctx.juju_log)
    assert "configuring" in logged or ctx.juju_log
    assert "oidc-client-secret" not in logged
    assert "oidc-client-secret" not in str(local_app_data(out, relation))


def test_password_login_stays_until_client_exists(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _oauth()
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), _state(relation, HOST))
    env = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE].environment
    assert env == {"APP_URL": "https://beszel.example.com"}


def test_rotated_client_secret_is_reapplied(ctx: Ctx, known_admin: FakeHub) -> None:
    secret = testing.Secret(
        {"secret": "old-client-secret"}, latest_content={"secret": "new-client-secret"}
    )
    relation = _oauth(secret)
    ctx.run(ctx.on.secret_changed(secret), _state(relation, HOST, secret))
    (provider,) = known_admin.users_collection["oauth2"]["providers"]
    assert provider["clientSecret"] == "new-client-secret"


def test_hostname_change_updates_redirect_uri(ctx: Ctx, known_admin: FakeHub) -> None:
    old = "https://old.example.com/api/oauth2-redirect"
    relation = dataclasses.replace(_oauth(), local_app_data={"redirect_uri": old})
    start = _state(relation, {"external-hostname": "new.example.com"})
    out = ctx.run(ctx.on.config_changed(), start)
    expected = "https://new.example.com/api/oauth2-redirect"
    assert local_app_data(out, relation)["redirect_uri"] == expected
