"""State-transition tests for workers and the control plane's side of the worker relation."""

from __future__ import annotations

import json

import pytest
from ops import testing

from charm import MicroK8sCharm
from fake_workload import FakeMicroK8s
from states import app_data, network, stored, stored_content, unit_data

Ctx = testing.Context[MicroK8sCharm]
URL = "10.0.0.1:25000/aaaa"


@pytest.fixture
def worker_ctx(ctx: Ctx) -> Ctx:
    """A context for a unit of the worker application of the seed's deployment."""
    return testing.Context(MicroK8sCharm, app_name="microk8s-worker")


def _control_plane(join_url: str = "") -> testing.Relation:
    """The worker's ``microk8s`` relation to a control-plane application."""
    app = {"join_url": join_url} if join_url else {}
    return testing.Relation("microk8s", remote_app_name="microk8s", remote_app_data=app)


def test_worker_waits_until_related(worker_ctx: Ctx, workload: FakeMicroK8s) -> None:
    out = worker_ctx.run(
        worker_ctx.on.install(), testing.State(config={"role": "worker"}, leader=True)
    )

    assert workload.named("install") == [("",)]
    assert "join" not in workload.names()
    assert "add_node" not in workload.names()
    assert out.unit_status == testing.WaitingStatus("waiting for a microk8s relation")


def test_worker_waits_for_the_join_url(worker_ctx: Ctx, workload: FakeMicroK8s) -> None:
    relation = _control_plane()
    state = testing.State(
        config={"role": "worker"},
        relations={relation},
        stored_states={stored(role="worker", joined=False)},
    )

    out = worker_ctx.run(worker_ctx.on.relation_changed(relation), state)

    assert "join" not in workload.names()
    assert out.unit_status == testing.WaitingStatus("waiting to join the cluster")


def test_worker_joins_with_the_worker_flag(worker_ctx: Ctx, workload: FakeMicroK8s) -> None:
    relation = _control_plane(URL)
    state = testing.State(
        config={"role": "worker"},
        relations={relation},
        networks={network("10.0.0.9")},
        stored_states={stored(role="worker", joined=False)},
    )

    out = worker_ctx.run(worker_ctx.on.relation_changed(relation), state)

    assert workload.named("join") == [(URL, True)]
    assert stored_content(out)["joined"] is True
    data = unit_data(out, relation)
    assert (data["hostname"], data["address"]) == ("node-0", "10.0.0.9")
    assert out.unit_status == testing.ActiveStatus()


def test_worker_join_failure_waits_and_retries(worker_ctx: Ctx, workload: FakeMicroK8s) -> None:
    workload.failing_joins = 1
    relation = _control_plane(URL)
    state = testing.State(
        config={"role": "worker"},
        relations={relation},
        stored_states={stored(role="worker", joined=False)},
    )

    out = worker_ctx.run(worker_ctx.on.relation_changed(relation), state)
    assert out.unit_status == testing.WaitingStatus("joining the cluster failed; retrying")

    out = worker_ctx.run(worker_ctx.on.update_status(), out)
    assert workload.named("join") == [(URL, True), (URL, True)]
    assert stored_content(out)["joined"] is True


def test_worker_leaves_cleanly_when_the_relation_is_broken(
    worker_ctx: Ctx, workload: FakeMicroK8s
) -> None:
    relation = _control_plane(URL)
    state = testing.State(
        config={"role": "worker"},
        relations={relation},
        stored_states={stored(role="worker")},
    )

    out = worker_ctx.run(worker_ctx.on.relation_broken(relation), state)

    assert workload.names()[-1] == "remove"
    content = stored_content(out)
    assert (content["installed"], content["joined"]) == (False, False)


def test_workers_never_manage_control_plane_settings(
    worker_ctx: Ctx, workload: FakeMicroK8s
) -> None:
    config: dict[str, str | bool] = {"role": "worker", "hostpath_storage": True}
    state = testing.State(
        config=config, leader=True, stored_states={stored(role="worker", joined=False)}
    )

    worker_ctx.run(worker_ctx.on.config_changed(), state)

    assert workload.named("set_addon") == []
    assert workload.named("ensure_extra_sans") == []


def _workers(units: dict[int, str], **app: str) -> testing.Relation:
    """The control plane's ``microk8s-provides`` relation to a worker application."""
    data = {i: {"hostname": host} for i, host in units.items()}
    return testing.Relation(
        "microk8s-provides",
        remote_app_name="microk8s-worker",
        remote_units_data=data,
        local_app_data=app,
    )


def test_leader_shares_a_join_url_with_workers(ctx: Ctx, workload: FakeMicroK8s) -> None:
    workers = _workers({0: "w-0"})
    peer = testing.PeerRelation("peer")
    state = testing.State(
        leader=True,
        relations={workers, peer},
        networks={network("10.0.0.1")},
        stored_states={stored()},
    )

    out = ctx.run(ctx.on.relation_joined(workers, remote_unit=0), state)

    ((token, _),) = workload.named("add_node")
    assert app_data(out, workers)["join_url"] == f"10.0.0.1:25000/{token}"
    assert app_data(out, peer)["join_url"] == f"10.0.0.1:25000/{token}"
    assert stored_content(out)["hostnames"] == {"microk8s-worker/0": "w-0"}


def _leader_with_two_workers(
    workers: testing.Relation, workload: FakeMicroK8s
) -> tuple[testing.State, testing.PeerRelation]:
    """A control-plane leader that recorded workers w-0 and w-1, which are cluster nodes."""
    workload.cluster_nodes = {"node-0", "w-0", "w-1"}
    peer = testing.PeerRelation("peer", local_app_data={"join_url": URL})
    hostnames = {"microk8s-worker/0": "w-0", "microk8s-worker/1": "w-1"}
    state = testing.State(
        leader=True,
        relations={workers, peer},
        networks={network("10.0.0.1")},
        stored_states={stored(hostnames=hostnames)},
    )
    return state, peer


def test_departed_worker_is_removed_from_the_cluster(ctx: Ctx, workload: FakeMicroK8s) -> None:
    workers = _workers({0: "w-0"}, join_url=URL)
    state, peer = _leader_with_two_workers(workers, workload)

    out = ctx.run(ctx.on.relation_departed(workers, remote_unit=1, departing_unit=1), state)

    assert workload.named("remove_node") == [("w-1",)]
    assert json.loads(app_data(out, peer)["remove_nodes"]) == []
    assert stored_content(out)["hostnames"] == {"microk8s-worker/0": "w-0"}


def test_removing_the_worker_application_removes_all_its_nodes(
    ctx: Ctx, workload: FakeMicroK8s
) -> None:
    workers = _workers({}, join_url=URL)
    state, peer = _leader_with_two_workers(workers, workload)

    out = ctx.run(ctx.on.relation_broken(workers), state)

    assert sorted(workload.named("remove_node")) == [("w-0",), ("w-1",)]
    assert stored_content(out)["hostnames"] == {}
    assert json.loads(app_data(out, peer)["remove_nodes"]) == []
