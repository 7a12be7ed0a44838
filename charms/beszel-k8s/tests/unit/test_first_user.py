"""The first Beszel user: created once by the leader, its credentials in a Juju secret."""

from __future__ import annotations

import dataclasses

from ops import testing

import first_user
from charm import BeszelCharm
from tests.unit.conftest import secret_content, state
from tests.unit.fake_hub import FakeHub

Ctx = testing.Context[BeszelCharm]


def test_first_hook_creates_an_admin_user_and_its_secret(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.config_changed(), state())
    secret = out.get_secret(label=first_user.LABEL)
    content = secret_content(secret)
    assert secret.owner == "app"
    assert content["email"] == first_user.EMAIL
    (user,) = known_admin.users.values()
    assert user["email"] == first_user.EMAIL
    assert user["password"] == content["password"]
    assert user["role"] == "admin"
    assert user["verified"] is True


def test_later_hooks_create_nothing_more(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.config_changed(), state())
    again = ctx.run(ctx.on.update_status(), out)
    assert len(known_admin.users) == 1
    assert secret_content(again.get_secret(label=first_user.LABEL)) == secret_content(
        out.get_secret(label=first_user.LABEL)
    )


def test_a_hub_with_people_gets_no_charm_user(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.users["u1"] = {"id": "u1", "email": "alice@example.com", "role": "admin"}
    ctx.run(ctx.on.config_changed(), state())
    assert [u["email"] for u in known_admin.users.values()] == ["alice@example.com"]


def test_the_agents_account_does_not_count_as_people(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.users["a1"] = {"id": "a1", "email": "agents@beszel.charm", "role": "admin"}
    ctx.run(ctx.on.config_changed(), state())
    emails = sorted(u["email"] for u in known_admin.users.values())
    assert emails == ["agents@beszel.charm", first_user.EMAIL]


def test_non_leader_creates_no_user(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.config_changed(), state(leader=False))
    assert known_admin.users == {}
    assert all(s.label != first_user.LABEL for s in out.secrets)


def test_get_admin_url_hands_out_the_user_secret(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.config_changed(), state())
    secret = out.get_secret(label=first_user.LABEL)
    ctx.run(ctx.on.action("get-admin-url"), dataclasses.replace(out))
    assert ctx.action_results is not None
    assert ctx.action_results["user-email"] == first_user.EMAIL
    assert ctx.action_results["user-secret-id"] == secret.id
