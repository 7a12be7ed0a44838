"""Every action's success and failure paths, against the hub emulation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ops import testing

import beszel
import hub_admin
from charm import BeszelCharm
from tests.unit.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    UPSERT_PREFIX,
    VERSION_EXEC,
    secret_content,
    state,
)
from tests.unit.fake_hub import HUB_KEY, FakeHub
from tests.unit.test_s3 import CREDENTIALS as S3_CREDENTIALS

Ctx = testing.Context[BeszelCharm]


def _run(ctx: Ctx, action: str, start: testing.State, **params: Any) -> dict[str, Any]:
    ctx.run(ctx.on.action(action, params=params), start)
    assert ctx.action_results is not None
    return ctx.action_results


def _fails(ctx: Ctx, action: str, start: testing.State, **params: Any) -> str:
    with pytest.raises(testing.ActionFailed) as caught:
        ctx.run(ctx.on.action(action, params=params), start)
    return caught.value.message


# -- get-admin-url ---------------------------------------------------------------------


def test_get_admin_url_falls_back_to_service_url(ctx: Ctx, hub: FakeHub) -> None:
    start = state(with_secret=True)
    start = testing.State(
        leader=True,
        containers=start.containers,
        storages=start.storages,
        secrets=start.secrets,
        model=testing.Model(name="lab"),
    )
    results = _run(ctx, "get-admin-url", start)
    assert results["url"] == "http://beszel-k8s.lab.svc.cluster.local:8090"
    assert results["admin-url"] == "http://beszel-k8s.lab.svc.cluster.local:8090/_/"
    assert results["admin-email"] == ADMIN_EMAIL


def test_get_admin_url_prefers_ingress(ctx: Ctx, hub: FakeHub) -> None:
    ingress = testing.Relation(
        "ingress", remote_app_data={"ingress": json.dumps({"url": "https://i.example.com/x"})}
    )
    start = state(relations=(ingress,), config={"external-hostname": "b.example.com"})
    assert _run(ctx, "get-admin-url", start)["admin-url"] == "https://i.example.com/x/_/"


def test_get_admin_url_uses_external_hostname(ctx: Ctx, hub: FakeHub) -> None:
    start = state(config={"external-hostname": "b.example.com"})
    results = _run(ctx, "get-admin-url", start)
    assert results["url"] == "https://b.example.com"
    assert ADMIN_PASSWORD not in json.dumps(results)


def test_get_admin_url_works_on_non_leader_without_admin_work(ctx: Ctx, hub: FakeHub) -> None:
    start = state(leader=False, config={"external-hostname": "b.example.com"})
    out = ctx.run(ctx.on.action("get-admin-url"), start)
    assert ctx.action_results is not None
    assert ctx.action_results["admin-url"] == "https://b.example.com/_/"
    assert hub.requests == []
    assert len(out.secrets) == 1


def test_get_admin_url_fails_on_invalid_config(ctx: Ctx, hub: FakeHub) -> None:
    message = _fails(ctx, "get-admin-url", state(config={"port": -1}))
    assert "config is invalid" in message


# -- create-agent-token ----------------------------------------------------------------


def test_create_agent_token_registers_real_token(ctx: Ctx, known_admin: FakeHub) -> None:
    start = state(config={"external-hostname": "b.example.com"})
    results = _run(ctx, "create-agent-token", start, description="rack 4")
    owner = next(iter(known_admin.universal_tokens))
    assert known_admin.universal_tokens[owner] == results["token"]
    assert known_admin.users[owner]["email"] == hub_admin.AGENT_OWNER_EMAIL
    assert results["hub-url"] == "https://b.example.com"
    assert results["hub-key"] == HUB_KEY
    assert results["description"] == "rack 4"
    assert results["token"] in results["instructions"]


def _hub_user(hub: FakeHub, email: str, role: str) -> str:
    user_id = f"id-{role}"
    hub.users[user_id] = {"id": user_id, "email": email, "role": role}
    return user_id


def test_create_agent_token_for_owner_registers_their_token(
    ctx: Ctx, known_admin: FakeHub
) -> None:
    alice = _hub_user(known_admin, "alice@example.com", "user")
    results = _run(ctx, "create-agent-token", state(), owner="alice@example.com")
    assert known_admin.universal_tokens == {alice: results["token"]}
    assert results["owner"] == "alice@example.com"
    assert len(known_admin.users) == 1  # no charm account created


def test_create_agent_token_without_owner_reports_charm_account(
    ctx: Ctx, known_admin: FakeHub
) -> None:
    results = _run(ctx, "create-agent-token", state())
    assert results["owner"] == hub_admin.AGENT_OWNER_EMAIL


def test_create_agent_token_fails_for_unknown_owner(ctx: Ctx, known_admin: FakeHub) -> None:
    message = _fails(ctx, "create-agent-token", state(), owner="bob@example.com")
    assert message == (
        "could not create the agent token: no hub user with e-mail bob@example.com; "
        "create it in the hub first"
    )
    assert known_admin.universal_tokens == {}


def test_create_agent_token_fails_for_readonly_owner(ctx: Ctx, known_admin: FakeHub) -> None:
    _hub_user(known_admin, "viewer@example.com", "readonly")
    message = _fails(ctx, "create-agent-token", state(), owner="viewer@example.com")
    assert message == (
        "could not create the agent token: "
        "The authorized record is not allowed to perform this action."
    )
    assert known_admin.universal_tokens == {}


def test_create_agent_token_rejects_filter_injection(ctx: Ctx, known_admin: FakeHub) -> None:
    _fails(ctx, "create-agent-token", state(), owner="x' || email!='@example.com")
    assert ("GET", "/api/collections/users/records") not in known_admin.requests


def test_create_agent_token_fails_on_non_leader(ctx: Ctx, known_admin: FakeHub) -> None:
    message = _fails(ctx, "create-agent-token", state(leader=False))
    assert message == "run this action on the leader unit"
    assert known_admin.universal_tokens == {}


def test_create_agent_token_fails_when_hub_is_down(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.healthy = False
    message = _fails(ctx, "create-agent-token", state())
    assert message.startswith("could not create the agent token")


def test_create_agent_token_fails_without_pebble(ctx: Ctx, known_admin: FakeHub) -> None:
    message = _fails(ctx, "create-agent-token", state(can_connect=False, planned=False))
    assert "not reachable" in message


# -- backups -----------------------------------------------------------------------------


def test_backup_now_creates_named_backup(ctx: Ctx, known_admin: FakeHub) -> None:
    results = _run(ctx, "backup-now", state())
    assert list(known_admin.backups) == [results["backup-name"]]
    assert results["backup-name"].startswith("beszel_charm_")
    assert results["timestamp"].endswith("+00:00")
    assert results["backup-path"] == f"/beszel_data/backups/{results['backup-name']}"


def test_backup_now_to_s3_answers_the_bucket_path(ctx: Ctx, known_admin: FakeHub) -> None:
    s3 = testing.Relation(
        "s3-credentials", remote_app_name="s3", remote_app_data=dict(S3_CREDENTIALS)
    )
    start = state(relations=(s3,), config={"s3-backup-enabled": True})
    results = _run(ctx, "backup-now", start)
    assert results["backup-path"] == f"s3://hub-backups/{results['backup-name']}"


def test_backup_now_fails_while_another_runs(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.busy = True
    message = _fails(ctx, "backup-now", state())
    assert message == "another backup or restore is already running; try again later"
    assert known_admin.backups == {}


def test_list_backups_returns_json(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.backups = {"a.zip": 10, "b.zip": 20}
    results = _run(ctx, "list-backups", state())
    listing = json.loads(results["backups"])
    assert [(b["key"], b["size"]) for b in listing] == [("a.zip", 10), ("b.zip", 20)]
    assert results["count"] == 2


def test_list_backups_fails_when_hub_is_down(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.healthy = False
    assert _fails(ctx, "list-backups", state()).startswith("listing backups failed")


def test_restore_backup_requires_confirm(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.backups = {"a.zip": 10}
    message = _fails(ctx, "restore-backup", state(), name="a.zip")
    assert "confirm=true" in message
    assert known_admin.restored == []


def test_restore_backup_restores(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.backups = {"a.zip": 10}
    results = _run(ctx, "restore-backup", state(), name="a.zip", confirm=True)
    assert results == {"restored": "a.zip"}
    assert known_admin.restored == ["a.zip"]


def test_restore_backup_fails_while_another_runs(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.backups = {"a.zip": 10}
    known_admin.busy = True
    message = _fails(ctx, "restore-backup", state(), name="a.zip", confirm=True)
    assert message == "another backup or restore is already running; try again later"
    assert known_admin.restored == []


def test_restore_unknown_backup_fails(ctx: Ctx, known_admin: FakeHub) -> None:
    message = _fails(ctx, "restore-backup", state(), name="nope.zip", confirm=True)
    assert message == "restore failed: Missing or invalid backup file."


def test_restore_rejects_path_like_name(ctx: Ctx, known_admin: FakeHub) -> None:
    _fails(ctx, "restore-backup", state(), name="../data.db", confirm=True)
    assert known_admin.restored == []


# -- rotate-admin-password -------------------------------------------------------------


def test_rotate_admin_password_updates_hub_and_secret(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.action("rotate-admin-password"), state())
    secret = out.get_secret(label="beszel-admin")
    new_password = secret_content(secret, latest=True)["password"]
    assert new_password != ADMIN_PASSWORD
    commands = [list(e.command) for e in ctx.exec_history[beszel.CONTAINER]]
    assert beszel.superuser_upsert_command(ADMIN_EMAIL, new_password) in commands
    assert known_admin.superusers == {ADMIN_EMAIL: new_password}
    assert ctx.action_results == {
        "admin-email": ADMIN_EMAIL,
        "credentials-secret-id": secret.id,
    }


def test_rotate_admin_password_keeps_secret_when_upsert_fails(
    ctx: Ctx, known_admin: FakeHub
) -> None:
    failing = testing.Exec(UPSERT_PREFIX, return_code=2)
    start = state(execs=frozenset({failing, VERSION_EXEC}))
    with pytest.raises(testing.ActionFailed) as caught:
        ctx.run(ctx.on.action("rotate-admin-password"), start)
    message = caught.value.message
    assert message == "password rotation failed: superuser upsert failed with exit code 2"
    assert ADMIN_PASSWORD not in message
    assert caught.value.state is not None
    stored = caught.value.state.get_secret(label="beszel-admin")
    assert secret_content(stored, latest=True)["password"] == ADMIN_PASSWORD
    assert known_admin.superusers == {ADMIN_EMAIL: ADMIN_PASSWORD}


def test_rotate_admin_password_fails_on_non_leader(ctx: Ctx, known_admin: FakeHub) -> None:
    assert _fails(ctx, "rotate-admin-password", state(leader=False)) == (
        "run this action on the leader unit"
    )


def test_agent_token_and_admin_password_stay_out_of_logs(ctx: Ctx, known_admin: FakeHub) -> None:
    results = _run(ctx, "create-agent-token", state())
    logged = " ".join(line.message for line in ctx.juju_log)
    assert "/api/beszel/universal-token" in str(known_admin.requests)
    assert results["token"] not in logged
    assert ADMIN_PASSWORD not in logged
