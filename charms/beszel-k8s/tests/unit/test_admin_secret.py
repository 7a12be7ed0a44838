"""The superuser credentials in the Juju application secret."""

from __future__ import annotations

import pytest
from ops import testing

import admin_secret
from charm import BeszelCharm
from tests.unit.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, state

Ctx = testing.Context[BeszelCharm]


def test_read_returns_none_before_creation(ctx: Ctx) -> None:
    with ctx(ctx.on.update_status(), state(with_secret=False, can_connect=False)) as mgr:
        assert admin_secret.read(mgr.charm.model) is None


def test_ensure_returns_existing_credentials(ctx: Ctx) -> None:
    with ctx(ctx.on.update_status(), state(can_connect=False)) as mgr:
        credentials = admin_secret.ensure(mgr.charm.model)
    assert (credentials.email, credentials.password) == (ADMIN_EMAIL, ADMIN_PASSWORD)
    assert credentials.secret_id


def test_ensure_creates_strong_password_once(ctx: Ctx) -> None:
    with ctx(ctx.on.update_status(), state(with_secret=False, can_connect=False)) as mgr:
        first = admin_secret.ensure(mgr.charm.model)
        second = admin_secret.ensure(mgr.charm.model)
        out = mgr.run()
    assert first == second
    assert len(first.password) >= 24
    assert len(out.secrets) == 1


def test_rotate_stores_nothing_when_apply_fails(ctx: Ctx) -> None:
    def refuse(_: admin_secret.AdminCredentials) -> None:
        raise RuntimeError("hub refused")

    with ctx(ctx.on.update_status(), state(can_connect=False)) as mgr:
        with pytest.raises(RuntimeError):
            admin_secret.rotate(mgr.charm.model, refuse)
        assert admin_secret.read(mgr.charm.model) == admin_secret.ensure(mgr.charm.model)
        assert admin_secret.ensure(mgr.charm.model).password == ADMIN_PASSWORD
