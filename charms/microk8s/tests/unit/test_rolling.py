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


def _simulate(workload: FakeMicroK8s, order: list[int], rounds: int) -> list[tuple[int, str]]:
    """Run peer hooks on units 0 (leader), 1 and 2 of one app in ``order`` for ``rounds``.

    The units share one peer relation: each hook sees the others' latest databags. Return
    ``(unit, holder when it refreshed)`` for every refresh, in the order they happened.
    """
    units: dict[int, dict[str, str]] = {i: {} for i in range(3)}
    app: dict[str, str] = {}
    stored_by_unit = {i: frozenset({stored()}) for i in range(3)}
    refreshed: list[tuple[int, str]] = []
    channels: dict[int, str] = {}
    secrets: frozenset[testing.Secret] = frozenset()  # the leader's metrics TLS secret
    for _ in range(rounds):
        for i in order:
            ctx = testing.Context(MicroK8sCharm, unit_id=i)
            others = {j: data for j, data in units.items() if j != i}
            peer = testing.PeerRelation(
                "peer", id=7, local_app_data=app, local_unit_data=units[i], peers_data=others
            )
            state = testing.State(
                config=NEW,
                leader=i == 0,
                relations={peer},
                secrets=secrets,
                stored_states=stored_by_unit[i],
            )
            before = len(workload.named("refresh"))
            remote = next(iter(others))
            out = ctx.run(ctx.on.relation_changed(peer, remote_unit=remote), state)
            if len(workload.named("refresh")) > before:
                refreshed.append((i, app.get("refresh_holder", "")))
            units[i] = unit_data(out, peer)
            if i == 0:
                app, secrets = app_data(out, peer), frozenset(out.secrets)
            stored_by_unit[i] = frozenset(out.stored_states)
            channels[i] = stored_content(out)["channel"]
    assert channels == dict.fromkeys(units, NEW["channel"])
    assert app.get("refresh_holder", "") == ""  # the lock is free again
    return refreshed


def test_rolling_refresh_reaches_every_unit_one_at_a_time_in_unit_order(
    workload: FakeMicroK8s,
) -> None:
    # Followers act before the leader each round, so they always see a stale lock first.
    refreshed = _simulate(workload, order=[2, 1, 0], rounds=4)

    assert [unit for unit, _ in refreshed] == [0, 1, 2]
    # A follower refreshed only while the leader's app databag named it the holder.
    assert [holder for unit, holder in refreshed if unit != 0] == ["microk8s/1", "microk8s/2"]
    assert workload.named("refresh") == [("1.32/stable",)] * 3
