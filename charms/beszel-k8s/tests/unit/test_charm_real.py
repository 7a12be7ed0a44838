"""The whole charm (ops.testing) against a real PocketBase: hooks drive the real server.

The charm's HubClient reaches the server at ``localhost:<port>`` (the ``port`` option is
set to the server's), and ``/beszel superuser upsert`` run through Pebble exec is carried
out by the real binary's CLI on the server's data directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import ops
import pytest
from ops import testing

import beszel
import charm
import first_user
from beszel_api import HubClient
from charm import BeszelCharm
from tests.unit.conftest import UPSERT_PREFIX, container, secret_content
from tests.unit.pocketbase_server import PocketBase
from tests.unit.test_oauth import HOST, _client_secret, _oauth

Ctx = testing.Context[BeszelCharm]


@pytest.fixture
def real_hub(pocketbase: PocketBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[PocketBase]:
    """Route the charm's superuser upserts to the real server's CLI."""
    original_exec = ops.Container.exec
    monkeypatch.setattr(charm, "STARTUP_WAIT_SECONDS", 10.0)

    def exec_with_cli(self: ops.Container, command: list[str], **kwargs: Any) -> Any:
        process = original_exec(self, command, **kwargs)
        if list(command[:3]) == UPSERT_PREFIX:
            wait_output = process.wait_output

            def upsert_then_output() -> Any:
                output = wait_output()
                pocketbase.cli("superuser", "upsert", command[3], command[4])
                return output

            process.wait_output = upsert_then_output  # type: ignore[method-assign]
        return process

    monkeypatch.setattr(ops.Container, "exec", exec_with_cli)
    yield pocketbase


def _port(server: PocketBase) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _state(server: PocketBase, **kw: Any) -> testing.State:
    config = {"port": _port(server), **kw.pop("config", {})}
    return testing.State(
        leader=True,
        config=config,
        containers={container()},
        storages={testing.Storage(beszel.STORAGE)},
        **kw,
    )


def _root(server: PocketBase) -> HubClient:
    client = HubClient(server.url)
    client.login(server.email, server.password)
    return client


def test_first_deploy_configures_the_real_hub(ctx: Ctx, real_hub: PocketBase) -> None:
    out = ctx.run(ctx.on.config_changed(), _state(real_hub, config={"log-level": "error"}))
    assert out.unit_status == testing.ActiveStatus("Beszel Hub is ready")
    admin = secret_content(out.get_secret(label="beszel-admin"))
    HubClient(real_hub.url).login(admin["email"], admin["password"])  # CLI upsert worked
    settings = _root(real_hub)._request("GET", "/api/settings")
    assert settings["logs"]["minLevel"] == 8
    user = secret_content(out.get_secret(label=first_user.LABEL))
    body = {"identity": user["email"], "password": user["password"]}
    login = httpx.post(
        f"{real_hub.url}/api/collections/users/auth-with-password", json=body, timeout=10
    )
    assert login.status_code == 200
    assert login.json()["record"]["role"] == "admin"


def _secrets(server: PocketBase) -> list[tuple[str, str]]:
    client = _root(server)
    response = httpx.get(
        f"{server.url}/api/test/oauth2-secrets",
        headers={"Authorization": client._token or ""},
        timeout=10,
    )
    return [(p["name"], p["clientSecret"]) for p in response.json()]


def test_hand_added_provider_keeps_its_secret_through_hooks(
    ctx: Ctx, real_hub: PocketBase
) -> None:
    secret = _client_secret()
    relation = _oauth(secret)
    start = _state(real_hub, config=HOST, relations={relation}, secrets={secret})
    out = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), start)
    root = _root(real_hub)
    oauth2 = root.get_collection("users")["oauth2"]
    oauth2["providers"].append({"name": "github", "clientId": "gh", "clientSecret": "gh-secret"})
    root.update_collection("users", {"oauth2": oauth2})

    out = ctx.run(ctx.on.update_status(), out)
    assert _secrets(real_hub) == [("oidc", "oidc-client-secret"), ("github", "gh-secret")]
    ctx.run(ctx.on.relation_broken(out.get_relation(relation.id)), out)
    assert ("github", "gh-secret") in _secrets(real_hub)
