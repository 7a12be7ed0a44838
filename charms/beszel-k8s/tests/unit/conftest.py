"""Shared fixtures: a fake hub behind every HubClient, and ops.testing builders."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import ops
import pytest
from ops import pebble, testing

import beszel
import beszel_api
import charm
from beszel_api import HubClient
from charm import BeszelCharm
from tests.unit import pocketbase_server
from tests.unit.fake_hub import FakeHub

ADMIN_EMAIL = "admin@beszel.charm"
ADMIN_PASSWORD = "stored-admin-password-123"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A fresh fake hub; every HubClient created during the test talks to it.

    A successful ``/beszel superuser upsert`` exec also takes effect in the fake hub,
    as the real CLI would write the superuser into the hub's database.
    """
    fake = FakeHub()
    monkeypatch.setattr(beszel_api, "TRANSPORT", fake.transport)
    monkeypatch.setattr(charm, "STARTUP_WAIT_SECONDS", 0.0)
    original_exec = ops.Container.exec

    def exec_with_cli(self: ops.Container, command: list[str], **kwargs: Any) -> Any:
        process = original_exec(self, command, **kwargs)
        if list(command[:3]) == UPSERT_PREFIX:
            wait_output = process.wait_output

            def upsert_then_output() -> Any:
                output = wait_output()  # raises ExecError on a non-zero exit
                fake.superusers[command[3]] = command[4]
                return output

            process.wait_output = upsert_then_output  # type: ignore[method-assign]
        return process

    monkeypatch.setattr(ops.Container, "exec", exec_with_cli)
    yield fake


@pytest.fixture
def client(hub: FakeHub) -> HubClient:
    """A superuser session against the fake hub, as the charm's admin calls use."""
    hub.superusers["root@example.com"] = "root-password-1"
    session = HubClient("http://localhost:8090")
    session.login("root@example.com", "root-password-1")
    return session


@pytest.fixture
def known_admin(hub: FakeHub) -> FakeHub:
    """The hub already has the superuser whose password the Juju secret holds."""
    hub.superusers[ADMIN_EMAIL] = ADMIN_PASSWORD
    return hub


@pytest.fixture
def ctx() -> testing.Context[BeszelCharm]:
    """A Context built from charmcraft.yaml."""
    return testing.Context(BeszelCharm)


VERSION_EXEC = testing.Exec(beszel.VERSION_COMMAND, stdout="beszel version 0.18.8\n")
UPSERT_PREFIX = [beszel.BINARY, "superuser", "upsert"]
DEFAULT_EXECS = frozenset({VERSION_EXEC, testing.Exec(UPSERT_PREFIX, stdout="Successfully saved")})


def admin_secret() -> testing.Secret:
    """The app secret the leader created earlier."""
    return testing.Secret(
        {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        label="beszel-admin",
        owner="app",
    )


def container(
    *,
    can_connect: bool = True,
    planned: bool = True,
    healthy: bool = True,
    successes: int | None = 5,
    env: dict[str, str] | None = None,
    execs: frozenset[testing.Exec] | None = None,
) -> testing.Container:
    """The beszel container; ``planned`` means a previous hook already started the hub.

    ``successes`` is the health check's success count (None: Pebble older than 1.23).
    """
    status = pebble.CheckStatus.UP if healthy else pebble.CheckStatus.DOWN
    layer = pebble.Layer(beszel.pebble_layer(8090, env or {}))  # type: ignore[arg-type]
    return testing.Container(
        beszel.CONTAINER,
        can_connect=can_connect,
        execs=execs if execs is not None else DEFAULT_EXECS,
        layers={beszel.LAYER: layer} if planned else {},
        check_infos=(
            {
                testing.CheckInfo(
                    beszel.CHECK,
                    status=status,
                    level=pebble.CheckLevel.READY,
                    successes=successes,
                    failures=0 if healthy else 3,
                )
            }
            if planned
            else set()
        ),
        service_statuses={beszel.SERVICE: pebble.ServiceStatus.ACTIVE} if planned else {},
    )


def state(
    *,
    leader: bool = True,
    storage: bool = True,
    with_secret: bool = True,
    config: dict[str, Any] | None = None,
    relations: tuple[testing.RelationBase, ...] = (),
    **container_kw: Any,
) -> testing.State:
    """A typical starting state: leader, storage attached, Pebble up, admin secret present."""
    return testing.State(
        leader=leader,
        config=config or {},
        containers={container(**container_kw)},
        storages={testing.Storage(beszel.STORAGE)} if storage else set(),
        secrets={admin_secret()} if with_secret else set(),
        relations=set(relations),
    )


def pebble_ready(ctx: testing.Context[BeszelCharm], start: testing.State) -> testing.State:
    """Run pebble-ready for the state's own container object."""
    return ctx.run(ctx.on.pebble_ready(start.get_container(beszel.CONTAINER)), start)


# ops.testing declares its databag and secret-content aliases in a chained assignment,
# which mypy cannot use as a type; these helpers give tests a typed view.
def local_app_data(out: testing.State, relation: testing.RelationBase) -> dict[str, str]:
    """The charm's application databag on ``relation`` after the run."""
    return dict(cast("Mapping[str, str]", out.get_relation(relation.id).local_app_data))


def local_unit_data(out: testing.State, relation: testing.RelationBase) -> dict[str, str]:
    """The charm's unit databag on ``relation`` after the run."""
    return dict(cast("Mapping[str, str]", out.get_relation(relation.id).local_unit_data))


def secret_content(secret: testing.Secret, *, latest: bool = False) -> dict[str, str]:
    """A secret's tracked (or latest) content."""
    content = secret.latest_content if latest else secret.tracked_content
    return dict(cast("Mapping[str, str]", content))


@pytest.fixture(params=pocketbase_server.FLAVOURS)
def pocketbase(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pocketbase_server.PocketBase]:
    """A real PocketBase server on 127.0.0.1 (each flavour in turn), Beszel hooks loaded."""
    flavour = str(request.param)
    reason = pocketbase_server.missing_reason(flavour)
    if reason is not None:
        if os.environ.get(pocketbase_server.REQUIRE_ENV):
            pytest.fail(reason)
        pytest.skip(reason)
    monkeypatch.setattr(beszel_api, "TRANSPORT", None)  # real sockets
    server = pocketbase_server.start(flavour, tmp_path)
    yield server
    server.stop()


@pytest.fixture
def real_client(pocketbase: pocketbase_server.PocketBase) -> Iterator[HubClient]:
    """A superuser session against the real server."""
    session = HubClient(pocketbase.url)
    session.login(pocketbase.email, pocketbase.password)
    yield session
    session.close()
