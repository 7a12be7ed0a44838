"""Operator actions: kubeconfig, join tokens for nodes outside Juju, drain and uncordon."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import ops

import cluster

# A Kubernetes node name (RFC 1123 subdomain): never an option such as "--selector=...".
_NODE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


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

    def __post_init__(self) -> None:
        if self.node and not _NODE.match(self.node):
            raise ValueError(f"node must be a Kubernetes node name, got {self.node!r}")
        if self.timeout < 1:  # kubectl reads 0 as "wait forever"
            raise ValueError("timeout must be at least 1 second")


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
        if not self._ready():
            event.fail("run this action on a control-plane unit that has joined the cluster")
        elif not self._address():
            event.fail("this unit has no address on the peer binding yet")
        else:
            return True
        return False

    def _on_get_kubeconfig(self, event: ops.ActionEvent) -> None:
        if self._control_plane_or_fail(event):
            config = _attempt(event, "microk8s config", self._workload.config, self._address())
            if config is not None:
                event.set_results({"kubeconfig": config})

    def _on_add_node_token(self, event: ops.ActionEvent) -> None:
        params = event.load_params(AddNodeTokenParams, errors="fail")
        if not self._control_plane_or_fail(event):
            return
        token = cluster.new_token()
        if (
            _attempt(event, "microk8s add-node", self._workload.add_node, token, params.ttl)
            is None
        ):
            return
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
        if _attempt(event, f"{verb} {node}", self._workload.kubectl, verb, node, *flags) is None:
            return
        event.set_results({"node": node})


def _attempt(event: ops.ActionEvent, what: str, call: Callable[..., Any], *args: Any) -> Any:
    """Return ``call(*args)``; on a command failure fail the action and return None."""
    try:
        result = call(*args)
    except subprocess.CalledProcessError as e:  # util.run masks tokens in e.stderr
        event.fail(f"{what} failed: {(e.stderr or '').strip() or f'exit code {e.returncode}'}")
        return None
    return "" if result is None else result
