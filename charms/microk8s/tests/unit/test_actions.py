"""State-transition tests for the actions: kubeconfig, add-node-token, drain, uncordon."""

from __future__ import annotations

import pytest
from ops import testing

from charm import MicroK8sCharm
from fake_workload import FakeMicroK8s
from states import network, stored

Ctx = testing.Context[MicroK8sCharm]


def _state(**stored_content: object) -> testing.State:
    return testing.State(networks={network("10.0.0.4")}, stored_states={stored(**stored_content)})


def test_get_kubeconfig_points_at_the_unit_address(ctx: Ctx) -> None:
    ctx.run(ctx.on.action("get-kubeconfig"), _state())

    assert ctx.action_results == {"kubeconfig": "server: https://10.0.0.4:16443\n"}


def test_add_node_token_returns_a_fresh_join_url(ctx: Ctx, workload: FakeMicroK8s) -> None:
    ctx.run(ctx.on.action("add-node-token", params={"ttl": 600}), _state())

    ((token, ttl),) = workload.named("add_node")
    assert ttl == 600
    assert ctx.action_results == {
        "join-url": f"10.0.0.4:25000/{token}",
        "command": f"microk8s join 10.0.0.4:25000/{token}",
    }


def test_add_node_token_for_a_worker_adds_the_flag(ctx: Ctx) -> None:
    ctx.run(ctx.on.action("add-node-token", params={"worker": True}), _state())

    assert ctx.action_results is not None
    assert ctx.action_results["command"].endswith(" --worker")


def test_drain_defaults_to_this_units_node(ctx: Ctx, workload: FakeMicroK8s) -> None:
    ctx.run(ctx.on.action("drain", params={"timeout": 60}), _state())

    assert workload.named("kubectl") == [
        ("drain", "node-0", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s")
    ]
    assert ctx.action_results == {"node": "node-0"}


def test_uncordon_takes_a_node_name(ctx: Ctx, workload: FakeMicroK8s) -> None:
    ctx.run(ctx.on.action("uncordon", params={"node": "w-3"}), _state())

    assert workload.named("kubectl") == [("uncordon", "w-3")]


def test_failed_kubectl_fails_the_action(ctx: Ctx, workload: FakeMicroK8s) -> None:
    workload.failing.add("kubectl")

    with pytest.raises(testing.ActionFailed, match="uncordon w-3 failed: simulated failure"):
        ctx.run(ctx.on.action("uncordon", params={"node": "w-3"}), _state())
    assert ctx.action_results is None


@pytest.mark.parametrize(
    ("action", "command", "message"),
    [
        ("get-kubeconfig", "config", "microk8s config failed: simulated failure"),
        ("add-node-token", "add_node", "microk8s add-node failed: simulated failure"),
    ],
)
def test_failed_microk8s_command_fails_the_action_with_its_error(
    ctx: Ctx, workload: FakeMicroK8s, action: str, command: str, message: str
) -> None:
    workload.failing.add(command)

    with pytest.raises(testing.ActionFailed, match=message):
        ctx.run(ctx.on.action(action), _state())
    assert ctx.action_results is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"node": "--selector=role=db"}, "node must be a Kubernetes node name"),
        ({"node": "Node_1"}, "node must be a Kubernetes node name"),
        ({"timeout": 0}, "timeout must be at least 1 second"),
    ],
)
def test_drain_rejects_invalid_parameters_before_running_kubectl(
    ctx: Ctx, workload: FakeMicroK8s, params: dict[str, object], message: str
) -> None:
    with pytest.raises(testing.ActionFailed, match=message):
        ctx.run(ctx.on.action("drain", params=params), _state())
    assert workload.named("kubectl") == []


def test_actions_fail_without_an_address(ctx: Ctx, workload: FakeMicroK8s) -> None:
    no_address = testing.Network("peer", bind_addresses=[], ingress_addresses=[])
    state = testing.State(networks={no_address}, stored_states={stored()})

    with pytest.raises(testing.ActionFailed, match="no address"):
        ctx.run(ctx.on.action("get-kubeconfig"), state)


@pytest.mark.parametrize("action", ["get-kubeconfig", "add-node-token", "drain", "uncordon"])
@pytest.mark.parametrize(
    "content", [{"role": "worker"}, {"joined": False}], ids=["worker", "not-joined"]
)
def test_actions_need_a_joined_control_plane_unit(
    ctx: Ctx, workload: FakeMicroK8s, action: str, content: dict[str, object]
) -> None:
    config = {"role": str(content.get("role", ""))}
    state = testing.State(config=config, stored_states={stored(**content)})

    with pytest.raises(testing.ActionFailed, match="control-plane unit"):
        ctx.run(ctx.on.action(action), state)
    assert workload.named("add_node") == workload.named("kubectl") == []
