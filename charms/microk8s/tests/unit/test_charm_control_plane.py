"""State-transition tests for control-plane clustering: bootstrap, joining, node removal."""

from __future__ import annotations

import json

from ops import testing

from charm import MicroK8sCharm
from fake_workload import FakeMicroK8s
from states import app_data, network, stored, stored_content, unit_data

Ctx = testing.Context[MicroK8sCharm]
LEADER_URL = "10.0.0.1:25000/aaaa"


def _peer(units: dict[int, str], **app: str) -> testing.PeerRelation:
    """A peer relation whose units announce ``{unit id: hostname}``."""
    data = {i: {"hostname": host} for i, host in units.items()}
    return testing.PeerRelation("peer", peers_data=data, local_app_data=app)


def test_leader_bootstraps_on_install_and_shares_a_join_url(
    ctx: Ctx, workload: FakeMicroK8s
) -> None:
    peer = testing.PeerRelation("peer")
    state = testing.State(leader=True, relations={peer}, networks={network("10.0.0.1")})

    out = ctx.run(ctx.on.install(), state)

    assert stored_content(out)["joined"] is True
    assert "join" not in workload.names()
    ((token, ttl),) = workload.named("add_node")
    assert ttl == 7200
    assert app_data(out, peer)["join_url"] == f"10.0.0.1:25000/{token}"


def test_leader_without_an_address_publishes_no_join_url(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = testing.PeerRelation("peer")
    no_address = testing.Network("peer", bind_addresses=[], ingress_addresses=[])
    state = testing.State(leader=True, relations={peer}, networks={no_address})

    out = ctx.run(ctx.on.install(), state)

    assert workload.named("add_node") == []
    assert "join_url" not in app_data(out, peer)


def test_follower_waits_without_a_join_url(ctx: Ctx, workload: FakeMicroK8s) -> None:
    state = testing.State(relations={_peer({})}, stored_states={stored(joined=False)})

    out = ctx.run(ctx.on.update_status(), state)

    assert "join" not in workload.names()
    assert out.unit_status == testing.WaitingStatus("waiting to join the cluster")


def test_follower_joins_the_leaders_url(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: "node-1"}, join_url=LEADER_URL)
    state = testing.State(
        relations={peer}, networks={network("10.0.0.2")}, stored_states={stored(joined=False)}
    )

    out = ctx.run(ctx.on.relation_changed(peer, remote_unit=1), state)

    assert workload.named("join") == [(LEADER_URL, False)]
    assert workload.names().index("join") < workload.names().index("wait_ready")
    assert stored_content(out)["joined"] is True
    assert out.unit_status == testing.ActiveStatus()
    assert unit_data(out, peer)["hostname"] == "node-0"


def test_three_control_plane_units_form_one_cluster(workload: FakeMicroK8s) -> None:
    ctx = testing.Context(MicroK8sCharm, unit_id=0)
    peer = testing.PeerRelation("peer")
    leader = testing.State(leader=True, relations={peer}, networks={network("10.0.0.1")})
    leader = ctx.run(ctx.on.install(), leader)
    url = app_data(leader, peer)["join_url"]
    for unit_id, address in ((1, "10.0.0.2"), (2, "10.0.0.3")):
        follower_ctx = testing.Context(MicroK8sCharm, unit_id=unit_id)
        follower_peer = _peer({0: "node-0"}, join_url=url)
        state = testing.State(relations={follower_peer}, networks={network(address)})
        state = follower_ctx.run(follower_ctx.on.install(), state)
        changed = follower_ctx.on.relation_changed(
            state.get_relation(follower_peer.id), remote_unit=0
        )
        state = follower_ctx.run(changed, state)
        assert stored_content(state)["joined"] is True

    assert workload.named("join") == [(url, False), (url, False)]
    assert len(workload.named("add_node")) == 1


def test_leader_gives_each_new_unit_a_fresh_token(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: "node-1"}, join_url=LEADER_URL)
    state = testing.State(
        leader=True, relations={peer}, networks={network("10.0.0.1")}, stored_states={stored()}
    )

    out = ctx.run(ctx.on.relation_joined(peer, remote_unit=1), state)

    ((token, _),) = workload.named("add_node")
    assert app_data(out, peer)["join_url"] == f"10.0.0.1:25000/{token}"
    assert token != "aaaa"


def test_leader_keeps_its_url_on_other_events(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: "node-1"}, join_url=LEADER_URL)
    state = testing.State(
        leader=True, relations={peer}, networks={network("10.0.0.1")}, stored_states={stored()}
    )

    out = ctx.run(ctx.on.update_status(), state)

    assert workload.named("add_node") == []
    assert app_data(out, peer)["join_url"] == LEADER_URL


def test_new_leader_replaces_the_old_leaders_url(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: "node-1"}, join_url=LEADER_URL)
    state = testing.State(
        leader=True, relations={peer}, networks={network("10.0.0.2")}, stored_states={stored()}
    )

    out = ctx.run(ctx.on.leader_elected(), state)

    assert app_data(out, peer)["join_url"].startswith("10.0.0.2:25000/")


def test_every_unit_records_peer_hostnames(ctx: Ctx) -> None:
    peer = _peer({1: "node-1", 2: "node-2"})
    state = testing.State(relations={peer}, stored_states={stored()})

    out = ctx.run(ctx.on.relation_changed(peer, remote_unit=1), state)

    assert stored_content(out)["hostnames"] == {"microk8s/1": "node-1", "microk8s/2": "node-2"}


def _departure_state(peer: testing.PeerRelation, workload: FakeMicroK8s) -> testing.State:
    workload.cluster_nodes = {"node-0", "node-1", "node-2"}
    hostnames = {"microk8s/1": "node-1", "microk8s/2": "node-2"}
    return testing.State(
        leader=True,
        relations={peer},
        networks={network("10.0.0.1")},
        stored_states={stored(hostnames=hostnames)},
    )


def test_departed_unit_is_removed_from_the_cluster(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: "node-1"}, join_url=LEADER_URL)

    out = ctx.run(
        ctx.on.relation_departed(peer, remote_unit=2, departing_unit=2),
        _departure_state(peer, workload),
    )

    assert workload.named("remove_node") == [("node-2",)]
    assert json.loads(app_data(out, peer)["remove_nodes"]) == []
    assert stored_content(out)["hostnames"] == {"microk8s/1": "node-1"}


def test_failed_removal_is_kept_and_retried(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: "node-1"}, join_url=LEADER_URL)
    workload.failing_removals["node-2"] = 1

    out = ctx.run(
        ctx.on.relation_departed(peer, remote_unit=2, departing_unit=2),
        _departure_state(peer, workload),
    )
    assert json.loads(app_data(out, peer)["remove_nodes"]) == ["node-2"]

    out = ctx.run(ctx.on.update_status(), out)
    assert workload.named("remove_node") == [("node-2",), ("node-2",)]
    assert json.loads(app_data(out, peer)["remove_nodes"]) == []


def test_new_leader_resumes_pending_removals(ctx: Ctx, workload: FakeMicroK8s) -> None:
    workload.cluster_nodes = {"node-0", "node-2", "node-3"}
    peer = _peer({}, join_url=LEADER_URL, remove_nodes='["node-2"]')
    hostnames = {"microk8s/3": "node-3"}
    state = testing.State(
        leader=True,
        relations={peer},
        networks={network("10.0.0.2")},
        stored_states={stored(hostnames=hostnames)},
    )

    out = ctx.run(ctx.on.leader_elected(), state)

    assert workload.named("remove_node") == [("node-2",), ("node-3",)]
    assert json.loads(app_data(out, peer)["remove_nodes"]) == []


def test_nodes_already_gone_are_dropped_without_removal(ctx: Ctx, workload: FakeMicroK8s) -> None:
    workload.cluster_nodes = {"node-0"}
    peer = _peer({}, join_url=LEADER_URL, remove_nodes='["node-5"]')
    state = testing.State(leader=True, relations={peer}, stored_states={stored()})

    out = ctx.run(ctx.on.update_status(), state)

    assert workload.named("remove_node") == []
    assert json.loads(app_data(out, peer)["remove_nodes"]) == []


def test_leader_leaves_its_own_node_to_a_future_leader(ctx: Ctx, workload: FakeMicroK8s) -> None:
    workload.cluster_nodes = {"node-0"}
    peer = _peer({}, join_url=LEADER_URL, remove_nodes='["node-0"]')
    state = testing.State(leader=True, relations={peer}, stored_states={stored()})

    out = ctx.run(ctx.on.update_status(), state)

    assert workload.named("remove_node") == []
    assert json.loads(app_data(out, peer)["remove_nodes"]) == ["node-0"]


def test_followers_never_remove_nodes(ctx: Ctx, workload: FakeMicroK8s) -> None:
    peer = _peer({1: "node-1"}, join_url=LEADER_URL)
    state = testing.State(
        relations={peer}, stored_states={stored(hostnames={"microk8s/2": "node-2"})}
    )

    out = ctx.run(ctx.on.relation_departed(peer, remote_unit=2, departing_unit=2), state)

    assert workload.named("remove_node") == []
    assert stored_content(out)["hostnames"]["microk8s/2"] == "node-2"


def test_departing_unit_marks_itself_not_joined_and_never_joins_again(
    workload: FakeMicroK8s,
) -> None:
    # unit 2 (not 0: ops.testing treats a departing unit id of 0 as unset)
    ctx = testing.Context(MicroK8sCharm, unit_id=2)
    peer = _peer({1: "node-1"}, join_url=LEADER_URL)
    state = testing.State(
        relations={peer}, networks={network("10.0.0.3")}, stored_states={stored()}
    )

    out = ctx.run(ctx.on.relation_departed(peer, remote_unit=1, departing_unit=2), state)
    assert stored_content(out)["joined"] is False

    # Other hooks may still run before the unit is gone: the leader is removing this
    # node, so joining again would leave a node that nobody removes.
    out = ctx.run(ctx.on.update_status(), out)
    assert "join" not in workload.names()
    assert out.unit_status == testing.MaintenanceStatus("leaving the cluster")


def test_failed_join_is_retried_on_the_next_event(ctx: Ctx, workload: FakeMicroK8s) -> None:
    workload.failing_joins = 1
    peer = _peer({1: "node-1"}, join_url=LEADER_URL)
    state = testing.State(
        relations={peer}, networks={network("10.0.0.2")}, stored_states={stored(joined=False)}
    )

    out = ctx.run(ctx.on.relation_changed(peer, remote_unit=1), state)

    assert stored_content(out)["joined"] is False
    assert "wait_ready" not in workload.names()
    assert out.unit_status == testing.WaitingStatus("joining the cluster failed; retrying")

    out = ctx.run(ctx.on.update_status(), out)
    assert workload.named("join") == [(LEADER_URL, False), (LEADER_URL, False)]
    assert stored_content(out)["joined"] is True
    assert out.unit_status == testing.ActiveStatus()
