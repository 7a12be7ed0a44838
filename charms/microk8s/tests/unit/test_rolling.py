"""State-transition tests for the rolling snap refresh: one unit at a time, in order."""

from __future__ import annotations

from ops import testing

from charm import MicroK8sCharm
from fake_workload import FakeMicroK8s
from states import app_data, stored, stored_content, unit_data

Ctx = testing.Context[MicroK8sCharm]
NEW = {"channel": "1.32/stable"}


def _peer(requests: dict[int, str], holder: str = "") -> testing.PeerRelation:
    app = {"refresh_holder": holder} if holder else {}
    data = {i: {"refresh": value} for i, value in requests.items()}
    return testing.PeerRelation("peer", peers_data=data, local_app_data=app)


def test_channel_change_refreshes_a_lone_unit_at_once(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({})
    state = testing.State(config=NEW, leader=True, relations={peer}, stored_states={stored()})

    out = ctx.run(ctx.on.config_changed(), state)

    assert workload.named("refresh") == [("1.32/stable",)]
    assert stored_content(out)["channel"] == "1.32/stable"
    assert "refresh" not in unit_data(out, peer)


def test_follower_asks_for_the_lock_and_waits(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: "requested"}, holder="microk8s/1")
    state = testing.State(config=NEW, relations={peer}, stored_states={stored()})

    out = ctx.run(ctx.on.config_changed(), state)

    assert workload.named("refresh") == []
    assert unit_data(out, peer)["refresh"] == "requested"
    assert out.unit_status == testing.WaitingStatus("waiting for the refresh lock")


def test_follower_refreshes_when_granted_and_releases(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: ""}, holder="microk8s/0")
    state = testing.State(config=NEW, relations={peer}, stored_states={stored()})

    out = ctx.run(ctx.on.relation_changed(peer, remote_unit=1), state)

    assert workload.named("refresh") == [("1.32/stable",)]
    assert "refresh" not in unit_data(out, peer)


def test_leader_passes_the_lock_in_unit_order(ctx: Ctx, workload: FakeMicroK8s) -> None:
    """Leader unit 0 is done; units 2 and 1 ask; the lock goes to 1, then to 2."""
    peer = _peer({1: "requested", 2: "requested"}, holder="microk8s/0")
    done = stored(channel="1.32/stable")
    state = testing.State(config=NEW, leader=True, relations={peer}, stored_states={done})

    out = ctx.run(ctx.on.relation_changed(peer, remote_unit=1), state)
    assert app_data(out, peer)["refresh_holder"] == "microk8s/1"

    again = ctx.on.relation_changed(out.get_relation(peer.id), remote_unit=1)
    out = ctx.run(again, out)
    assert app_data(out, peer)["refresh_holder"] == "microk8s/1"

    peer_after = _peer({1: "", 2: "requested"}, holder="microk8s/1")
    state = testing.State(config=NEW, leader=True, relations={peer_after}, stored_states={done})
    out = ctx.run(ctx.on.relation_changed(peer_after, remote_unit=1), state)
    assert app_data(out, peer_after)["refresh_holder"] == "microk8s/2"
    assert workload.named("refresh") == []


def test_leader_waits_its_turn_behind_the_holder(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: "requested"}, holder="microk8s/1")
    state = testing.State(config=NEW, leader=True, relations={peer}, stored_states={stored()})

    out = ctx.run(ctx.on.config_changed(), state)

    assert workload.named("refresh") == []
    assert app_data(out, peer)["refresh_holder"] == "microk8s/1"

    released = _peer({1: ""}, holder="microk8s/1")
    state = testing.State(config=NEW, leader=True, relations={released}, stored_states={stored()})
    out = ctx.run(ctx.on.relation_changed(released, remote_unit=1), state)
    assert workload.named("refresh") == [("1.32/stable",)]
    assert "refresh_holder" not in app_data(out, released)


def test_upgrade_charm_refreshes_the_snap_in_its_channel(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({})
    state = testing.State(leader=True, relations={peer}, stored_states={stored()})

    out = ctx.run(ctx.on.upgrade_charm(), state)

    assert workload.named("refresh") == [("",)]
    assert stored_content(out)["refresh_pending"] is False


def test_unchanged_channel_asks_for_nothing(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({})
    state = testing.State(relations={peer}, stored_states={stored(channel="1.32/stable")})

    out = ctx.run(
        ctx.on.config_changed(),
        testing.State(config=NEW, relations={peer}, stored_states=state.stored_states),
    )

    assert workload.named("refresh") == []
    assert "refresh" not in unit_data(out, peer)
