"""Operator actions: kubeconfig, join tokens for nodes outside Juju, drain and uncordon."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import ops

import cluster


@dataclass(frozen=True)
class AddNodeTokenParams:
    """Parameters of the add-node-token action."""

    ttl: int = 3600
    worker: bool = False


@dataclass(frozen=True)
class NodeParams:
    """Parameters of the drain and uncordon actions."""

    node: str = ""
    timeout: int = 300


class NodeActions(ops.Object):
    """Handles the charm's actions; they need a control-plane unit that has joined."""

    def __init__(
        self,
        charm: ops.CharmBase,
        workload: ModuleType,
        ready: Callable[[], bool],
        address: Callable[[], str],
    ):
        super().__init__(charm, "actions")
        self._workload, self._ready, self._address = workload, ready, address
        on = charm.on
        charm.framework.observe(on.get_kubeconfig_action, self._on_get_kubeconfig)
        charm.framework.observe(on.add_node_token_action, self._on_add_node_token)
        charm.framework.observe(on.drain_action, self._on_drain)
        charm.framework.observe(on.uncordon_action, self._on_uncordon)

    def _control_plane_or_fail(self, event: ops.ActionEvent) -> bool:
        if self._ready():
            return True
        event.fail("run this action on a control-plane unit that has joined the cluster")
        return False

    def _on_get_kubeconfig(self, event: ops.ActionEvent) -> None:
        if self._control_plane_or_fail(event):
            event.set_results({"kubeconfig": self._workload.config(self._address())})

    def _on_add_node_token(self, event: ops.ActionEvent) -> None:
        params = event.load_params(AddNodeTokenParams, errors="fail")
        if not self._control_plane_or_fail(event):
            return
        token = cluster.new_token()
        self._workload.add_node(token, params.ttl)
        url = cluster.join_url(self._address(), token)
        command = f"microk8s join {url}" + (" --worker" if params.worker else "")
        event.set_results({"join-url": url, "command": command})

    def _on_drain(self, event: ops.ActionEvent) -> None:
        params = event.load_params(NodeParams, errors="fail")
        flags = ["--ignore-daemonsets", "--delete-emptydir-data", f"--timeout={params.timeout}s"]
        self._kubectl(event, params.node, "drain", *flags)

    def _on_uncordon(self, event: ops.ActionEvent) -> None:
        params = event.load_params(NodeParams, errors="fail")
        self._kubectl(event, params.node, "uncordon")

    def _kubectl(self, event: ops.ActionEvent, node: str, verb: str, *flags: str) -> None:
        if not self._control_plane_or_fail(event):
            return
        node = node or self._workload.hostname()
        try:
            self._workload.kubectl(verb, node, *flags)
        except subprocess.CalledProcessError as e:
            event.fail(f"{verb} {node} failed: {e.stderr}")
            return
        event.set_results({"node": node})
