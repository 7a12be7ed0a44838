"""State-transition tests for behaviour shared by both roles: install, config, status."""

from __future__ import annotations

import json

import pytest
from ops import testing

from charm import MicroK8sCharm
from fake_workload import FakeContainerd, FakeMicroK8s
from states import app_data, network, stored, stored_content, unit_data

Ctx = testing.Context[MicroK8sCharm]


REGISTRY_CONFIG = {
    "channel": "1.31/stable",
    "containerd_http_proxy": "http://proxy:3128",
    "containerd_custom_registries": '[{"url": "https://reg.example"}]',
}


def test_install_applies_containerd_settings_before_the_first_wait_ready(
    ctx: Ctx, workload: FakeMicroK8s, containerd: FakeContainerd
) -> None:
    containerd.changed = True

    out = ctx.run(ctx.on.install(), testing.State(config=REGISTRY_CONFIG, leader=True))

    assert workload.calls[:5] == [
        ("install", "1.31/stable"),
        ("ensure_proxy", "http://proxy:3128", "", ""),
        ("ensure_registries", ["https://reg.example"]),
        ("restart_containerd",),
        ("ensure_extra_sans", ["192.0.2.0"]),  # the default %UNIT_PUBLIC_ADDRESS%
    ]
    assert workload.names().count("wait_ready") == 1
    assert workload.names().index("restart_containerd") < workload.names().index("wait_ready")
    content = stored_content(out)
    assert content["installed"] is True
    assert content["role"] == "control-plane"
    assert content["channel"] == "1.31/stable"


def test_worker_install_writes_registries_before_wait_ready_and_join(
    containerd: FakeContainerd, workload: FakeMicroK8s
) -> None:
    ctx = testing.Context(MicroK8sCharm, app_name="microk8s-worker")
    # Unchanged files need no containerd restart, but are still checked before wait-ready.
    relation = testing.Relation(
        "microk8s", remote_app_name="microk8s", remote_app_data={"join_url": "10.0.0.1:25000/t"}
    )
    state = testing.State(config=REGISTRY_CONFIG | {"role": "worker"}, relations={relation})

    ctx.run(ctx.on.install(), state)

    names = workload.names()
    assert names[:3] == ["install", "ensure_proxy", "ensure_registries"]
    assert "restart_containerd" not in names
    assert names.index("ensure_registries") < names.index("wait_ready") < names.index("join")


def test_install_records_the_worker_role(ctx: Ctx) -> None:
    out = ctx.run(ctx.on.install(), testing.State(config={"role": "worker"}))

    assert stored_content(out)["role"] == "worker"


def test_install_with_invalid_config_installs_nothing_and_blocks(
    ctx: Ctx, workload: FakeMicroK8s
) -> None:
    out = ctx.run(ctx.on.install(), testing.State(config={"channel": "1.31/nope"}))

    assert workload.calls == []
    assert out.unit_status == testing.BlockedStatus("invalid channel: not a snap channel")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("containerd_https_proxy", "proxy"),
        ("containerd_custom_registries", '[{"url": "https://x", "bogus": 1}]'),
        ("extra_sans", "has space"),
        ("role", "boss"),
    ],
)
def test_invalid_option_blocks_naming_the_option(
    ctx: Ctx, workload: FakeMicroK8s, option: str, value: str
) -> None:
    state = testing.State(config={option: value}, stored_states={stored()})

    out = ctx.run(ctx.on.config_changed(), state)

    assert out.unit_status.name == "blocked"
    assert f"invalid {option}" in out.unit_status.message
    assert workload.calls == []


def test_role_change_blocks_naming_old_and_new_role(ctx: Ctx, workload: FakeMicroK8s) -> None:
    state = testing.State(config={"role": "worker"}, stored_states={stored()})

    out = ctx.run(ctx.on.config_changed(), state)

    assert out.unit_status == testing.BlockedStatus(
        "role cannot change from control-plane to worker after deployment"
    )
    assert workload.calls == []
    assert stored_content(out)["role"] == "control-plane"


def test_it_is_active_only_when_the_node_is_ready(ctx: Ctx, workload: FakeMicroK8s) -> None:
    state = testing.State(leader=True, stored_states={stored()})

    assert ctx.run(ctx.on.update_status(), state).unit_status == testing.ActiveStatus()
    workload.ready = False
    out = ctx.run(ctx.on.update_status(), state)
    assert out.unit_status == testing.WaitingStatus("node is not Ready")


def test_it_sets_the_workload_version(ctx: Ctx) -> None:
    out = ctx.run(ctx.on.update_status(), testing.State(stored_states={stored()}))

    assert out.workload_version == "1.31.1"


def test_config_change_restarts_containerd_only_when_files_changed(
    ctx: Ctx, workload: FakeMicroK8s, containerd: FakeContainerd
) -> None:
    state = testing.State(config={"containerd_no_proxy": "10.0.0.0/8"}, stored_states={stored()})

    ctx.run(ctx.on.config_changed(), state)
    assert "restart_containerd" not in workload.names()
    assert ("ensure_proxy", "", "", "10.0.0.0/8") in workload.calls
    assert "wait_ready" not in workload.names()  # only after install or a join

    containerd.changed = True
    ctx.run(ctx.on.config_changed(), state)
    assert workload.names().count("restart_containerd") == 1


def test_extra_sans_use_the_unit_address(ctx: Ctx, workload: FakeMicroK8s) -> None:
    config = {"extra_sans": "%UNIT_PUBLIC_ADDRESS%,k8s.example"}
    state = testing.State(config=config, networks={network("10.0.0.7")}, stored_states={stored()})

    ctx.run(ctx.on.config_changed(), state)

    assert workload.named("ensure_extra_sans") == [(["10.0.0.7", "k8s.example"],)]


@pytest.mark.parametrize("enabled", [True, False])
def test_automatic_certificate_reissue_is_applied(
    ctx: Ctx, workload: FakeMicroK8s, enabled: bool
) -> None:
    config = {"automatic_certificate_reissue": enabled}

    ctx.run(ctx.on.config_changed(), testing.State(config=config, stored_states={stored()}))

    assert workload.named("ensure_cert_reissue") == [(enabled,)]


def test_leader_enables_and_disables_addons_once(ctx: Ctx, workload: FakeMicroK8s) -> None:
    config = {"hostpath_storage": True, "rbac": True}
    state = testing.State(config=config, leader=True, stored_states={stored()})

    out = ctx.run(ctx.on.config_changed(), state)
    assert workload.named("set_addon") == [("hostpath-storage", True), ("rbac", True)]

    again = testing.State(config=config, leader=True, stored_states=out.stored_states)
    out = ctx.run(ctx.on.config_changed(), again)
    assert len(workload.named("set_addon")) == 2

    off = testing.State(config={"rbac": True}, leader=True, stored_states=out.stored_states)
    ctx.run(ctx.on.config_changed(), off)
    assert workload.named("set_addon")[-1] == ("hostpath-storage", False)


def test_followers_leave_addons_to_the_leader(ctx: Ctx, workload: FakeMicroK8s) -> None:
    config = {"hostpath_storage": True}

    ctx.run(ctx.on.config_changed(), testing.State(config=config, stored_states={stored()}))

    assert workload.named("set_addon") == []


def test_manage_etc_hosts_writes_all_members(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = testing.PeerRelation(
        "peer", peers_data={1: {"hostname": "node-1", "address": "10.0.0.2"}}
    )
    state = testing.State(
        config={"manage_etc_hosts": True},
        relations={peer},
        networks={network("10.0.0.1")},
        stored_states={stored()},
    )

    out = ctx.run(ctx.on.config_changed(), state)

    assert workload.named("ensure_etc_hosts") == [({"node-0": "10.0.0.1", "node-1": "10.0.0.2"},)]
    own = unit_data(out, peer)
    assert (own["hostname"], own["address"]) == ("node-0", "10.0.0.1")


def test_etc_hosts_block_is_removed_when_not_managed(ctx: Ctx, workload: FakeMicroK8s) -> None:
    ctx.run(ctx.on.config_changed(), testing.State(stored_states={stored()}))

    assert workload.named("ensure_etc_hosts") == [({},)]


def test_remove_purges_the_snap(ctx: Ctx, workload: FakeMicroK8s) -> None:
    ctx.run(ctx.on.remove(), testing.State(stored_states={stored()}))

    assert workload.calls == [("remove",)]


def test_remove_data_is_json_in_the_peer_databag(ctx: Ctx) -> None:
    peer = testing.PeerRelation("peer")
    state = testing.State(leader=True, relations={peer}, stored_states={stored()})

    out = ctx.run(ctx.on.update_status(), state)

    assert json.loads(app_data(out, peer)["remove_nodes"]) == []
