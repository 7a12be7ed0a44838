"""State-transition tests for lifecycle events and status."""

from __future__ import annotations

import dataclasses

import ops
import pytest
from ops import pebble, testing

import beszel
from charm import STANDBY_STATUS, BeszelCharm
from tests.unit.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    UPSERT_PREFIX,
    VERSION_EXEC,
    pebble_ready,
    secret_content,
    state,
)
from tests.unit.fake_hub import FakeHub

Ctx = testing.Context[BeszelCharm]


def _upserts(ctx: Ctx) -> list[list[str]]:
    return [
        list(e.command)
        for e in ctx.exec_history.get(beszel.CONTAINER, [])
        if list(e.command[:3]) == [beszel.BINARY, "superuser", "upsert"]
    ]


def test_pebble_ready_plans_hub_service(ctx: Ctx, known_admin: FakeHub) -> None:
    out = pebble_ready(ctx, state(planned=False))
    plan = out.get_container(beszel.CONTAINER).plan
    service = plan.services[beszel.SERVICE]
    assert service.command == "/beszel serve --http=0.0.0.0:8090 --dir=/beszel_data"
    assert service.environment == {}
    assert service.startup == "enabled"
    assert service.on_check_failure == {beszel.CHECK: "restart"}
    check = plan.checks[beszel.CHECK]
    assert check.http == {"url": "http://localhost:8090/api/health"}
    assert check.level == pebble.CheckLevel.READY
    assert out.opened_ports == {testing.TCPPort(8090)}
    assert out.workload_version == "0.18.8"
    assert out.unit_status == testing.ActiveStatus("Beszel Hub is ready")


def test_pebble_ready_applies_log_level(ctx: Ctx, known_admin: FakeHub) -> None:
    pebble_ready(ctx, state(config={"log-level": "debug"}))
    assert known_admin.settings["logs"]["minLevel"] == -4


def test_first_start_creates_admin_secret_and_upserts_superuser(ctx: Ctx, hub: FakeHub) -> None:
    out = pebble_ready(ctx, state(with_secret=False))
    secret = out.get_secret(label="beszel-admin")
    content = secret_content(secret)
    assert secret.owner == "app"
    assert content["email"] == ADMIN_EMAIL
    assert len(content["password"]) >= 8
    upsert = beszel.superuser_upsert_command(content["email"], content["password"])
    assert _upserts(ctx) == [upsert]


def test_first_start_configures_hub_as_new_superuser(ctx: Ctx, hub: FakeHub) -> None:
    out = pebble_ready(ctx, state(with_secret=False, config={"log-level": "error"}))
    content = secret_content(out.get_secret(label="beszel-admin"))
    assert hub.superusers == {ADMIN_EMAIL: content["password"]}
    assert ("POST", "/api/collections/_superusers/auth-with-password") in hub.requests
    assert hub.settings["logs"]["minLevel"] == 8
    assert out.unit_status == testing.ActiveStatus("Beszel Hub is ready")


def test_known_superuser_is_not_upserted_again(ctx: Ctx, known_admin: FakeHub) -> None:
    ctx.run(ctx.on.config_changed(), state())
    assert _upserts(ctx) == []


def test_stale_superuser_password_is_reapplied(ctx: Ctx, hub: FakeHub) -> None:
    hub.superusers[ADMIN_EMAIL] = "password-from-an-old-backup"
    ctx.run(ctx.on.config_changed(), state())
    assert _upserts(ctx) == [beszel.superuser_upsert_command(ADMIN_EMAIL, ADMIN_PASSWORD)]


def test_failed_upsert_does_not_leak_password(ctx: Ctx, hub: FakeHub) -> None:
    failing = testing.Exec(UPSERT_PREFIX, return_code=1, stderr="bad")
    out = ctx.run(ctx.on.config_changed(), state(execs=frozenset({failing, VERSION_EXEC})))
    assert out.unit_status == testing.MaintenanceStatus(
        "configuring Beszel Hub: superuser upsert failed with exit code 1"
    )


def test_non_leader_runs_no_hub_and_says_why(ctx: Ctx, hub: FakeHub) -> None:
    out = pebble_ready(ctx, state(leader=False, with_secret=False, planned=False))
    plan = out.get_container(beszel.CONTAINER).plan
    assert plan.services[beszel.SERVICE].startup == "disabled"
    assert plan.services[beszel.SERVICE].on_check_failure == {beszel.CHECK: "ignore"}
    assert beszel.CHECK in plan.checks  # failing ready check: no Service endpoint
    assert out.get_container(beszel.CONTAINER).service_statuses == {}
    assert out.opened_ports == frozenset()
    assert not out.secrets
    assert _upserts(ctx) == []
    assert hub.requests == []
    assert out.unit_status == testing.BlockedStatus(STANDBY_STATUS)


def test_unit_that_lost_leadership_stops_its_hub(ctx: Ctx, hub: FakeHub) -> None:
    start = dataclasses.replace(
        state(leader=False), opened_ports=frozenset({testing.TCPPort(8090)})
    )
    out = ctx.run(ctx.on.update_status(), start)
    container = out.get_container(beszel.CONTAINER)
    assert container.service_statuses[beszel.SERVICE] == pebble.ServiceStatus.INACTIVE
    assert container.plan.services[beszel.SERVICE].startup == "disabled"
    assert out.opened_ports == frozenset()
    assert out.unit_status == testing.BlockedStatus(STANDBY_STATUS)


def test_standby_unit_elected_leader_starts_the_hub(ctx: Ctx, known_admin: FakeHub) -> None:
    standby = pebble_ready(ctx, state(leader=False, planned=False))
    out = ctx.run(ctx.on.leader_elected(), dataclasses.replace(standby, leader=True))
    container = out.get_container(beszel.CONTAINER)
    assert container.plan.services[beszel.SERVICE].startup == "enabled"
    assert container.service_statuses[beszel.SERVICE] == pebble.ServiceStatus.ACTIVE
    assert out.opened_ports == {testing.TCPPort(8090)}


def test_config_changed_port_updates_layer_and_ports(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.config_changed(), state(config={"port": 9090}))
    service = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE]
    assert "--http=0.0.0.0:9090" in service.command
    assert out.opened_ports == {testing.TCPPort(9090)}


def _count_replans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = ops.Container.replan

    def replan(self: ops.Container) -> None:
        calls.append(self.name)
        original(self)

    monkeypatch.setattr(ops.Container, "replan", replan)
    return calls


def test_config_changed_does_not_restart_when_layer_unchanged(
    ctx: Ctx, known_admin: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    replans = _count_replans(monkeypatch)
    out = ctx.run(ctx.on.config_changed(), state(config={"log-level": "warn"}))
    assert replans == []
    assert out.get_container(beszel.CONTAINER).layers == state().get_container("beszel").layers
    assert known_admin.settings["logs"]["minLevel"] == 4


def test_config_changed_restarts_when_layer_changed(
    ctx: Ctx, known_admin: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    replans = _count_replans(monkeypatch)
    ctx.run(ctx.on.config_changed(), state(config={"external-hostname": "b.example.com"}))
    assert replans == [beszel.CONTAINER]


def test_external_hostname_sets_app_url(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.config_changed(), state(config={"external-hostname": "b.example.com"}))
    env = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE].environment
    assert env == {"APP_URL": "https://b.example.com"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"log-level": "loud"}, "invalid config log-level:"),
        ({"port": 0}, "invalid config port:"),
    ],
)
def test_invalid_config_blocks_naming_option(
    ctx: Ctx, known_admin: FakeHub, options: dict[str, str | int], message: str
) -> None:
    out = ctx.run(ctx.on.config_changed(), state(config=options, planned=False))
    assert out.unit_status.name == "blocked"
    assert out.unit_status.message.startswith(message)
    assert out.get_container(beszel.CONTAINER).plan.services == {}


def test_missing_storage_blocks(ctx: Ctx, known_admin: FakeHub) -> None:
    out = pebble_ready(ctx, state(storage=False, planned=False))
    assert out.unit_status == testing.BlockedStatus("storage beszel-data is not attached")
    assert out.get_container(beszel.CONTAINER).plan.services == {}


def test_storage_attached_configures_hub(ctx: Ctx, known_admin: FakeHub) -> None:
    start = state()
    (storage,) = start.storages
    out = ctx.run(ctx.on.storage_attached(storage), start)
    assert beszel.SERVICE in out.get_container(beszel.CONTAINER).plan.services
    assert out.unit_status == testing.ActiveStatus("Beszel Hub is ready")


def test_waits_for_pebble(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.config_changed(), state(can_connect=False))
    assert out.unit_status == testing.WaitingStatus("waiting for Pebble")


def test_check_failure_waits_for_hub(ctx: Ctx, known_admin: FakeHub) -> None:
    start = state(healthy=False)
    info = next(iter(start.get_container(beszel.CONTAINER).check_infos))
    out = ctx.run(ctx.on.pebble_check_failed(start.get_container(beszel.CONTAINER), info), start)
    assert out.unit_status == testing.WaitingStatus("waiting for Beszel Hub health check")


def test_check_that_never_passed_is_not_ready(ctx: Ctx, known_admin: FakeHub) -> None:
    # Pebble marks a fresh check "up" before its first run; only successes prove health.
    out = ctx.run(ctx.on.update_status(), state(successes=0))
    assert out.unit_status == testing.WaitingStatus("waiting for Beszel Hub health check")


def test_check_up_counts_on_pebble_without_success_counts(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.update_status(), state(successes=None))
    assert out.unit_status == testing.ActiveStatus("Beszel Hub is ready")


def _stopped(start: testing.State) -> testing.State:
    container = dataclasses.replace(
        start.get_container(beszel.CONTAINER),
        service_statuses={beszel.SERVICE: pebble.ServiceStatus.INACTIVE},
    )
    return dataclasses.replace(start, containers=frozenset({container}))


def test_stopped_service_is_started_with_unchanged_layer(
    ctx: Ctx, known_admin: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    replans = _count_replans(monkeypatch)
    out = ctx.run(ctx.on.update_status(), _stopped(state()))
    assert replans == [beszel.CONTAINER]
    services = out.get_container(beszel.CONTAINER).service_statuses
    assert services[beszel.SERVICE] == pebble.ServiceStatus.ACTIVE


def test_stopped_service_is_not_ready(ctx: Ctx, known_admin: FakeHub) -> None:
    # collect-status alone starts nothing; it must not claim readiness.
    status_only = ctx.on.collect_unit_status()  # type: ignore[no-untyped-call]
    out = ctx.run(status_only, _stopped(state()))
    assert out.unit_status == testing.WaitingStatus("waiting for Beszel Hub health check")


def test_unreachable_hub_waits_without_admin_work(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.healthy = False
    out = ctx.run(ctx.on.update_status(), state())
    assert _upserts(ctx) == []
    assert out.unit_status == testing.WaitingStatus("waiting for Beszel Hub API")
    assert known_admin.settings["logs"]["minLevel"] == 4


def test_check_recovered_applies_settings(ctx: Ctx, known_admin: FakeHub) -> None:
    start = state(config={"log-level": "error"})
    info = next(iter(start.get_container(beszel.CONTAINER).check_infos))
    ctx.run(ctx.on.pebble_check_recovered(start.get_container(beszel.CONTAINER), info), start)
    assert known_admin.settings["logs"]["minLevel"] == 8


def test_upgrade_charm_reapplies_everything(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.upgrade_charm(), state(config={"log-level": "warn"}))
    assert beszel.SERVICE in out.get_container(beszel.CONTAINER).plan.services
    assert out.opened_ports == {testing.TCPPort(8090)}
    assert known_admin.settings["logs"]["minLevel"] == 4
    assert ("PATCH", "/api/settings") in known_admin.requests


def test_upgrade_replaces_stale_layer(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.upgrade_charm(), state(env={"LOG_LEVEL": "info"}))
    env = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE].environment
    assert env == {}


def test_leader_elected_configures_hub(ctx: Ctx, known_admin: FakeHub) -> None:
    ctx.run(ctx.on.leader_elected(), state(config={"log-level": "debug"}))
    assert known_admin.settings["logs"]["minLevel"] == -4


def test_admin_password_never_reaches_logs_or_status(ctx: Ctx, hub: FakeHub) -> None:
    hub.superusers[ADMIN_EMAIL] = "outdated-password"
    out = ctx.run(ctx.on.config_changed(), state())
    logged = " ".join(line.message for line in ctx.juju_log)
    assert ctx.juju_log
    assert ADMIN_PASSWORD not in logged
    assert ADMIN_PASSWORD not in out.unit_status.message
