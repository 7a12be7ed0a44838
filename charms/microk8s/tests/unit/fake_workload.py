"""Fakes of the workload modules with the same function names, recording what they are asked."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import containerd


def _fail(*argv: str) -> subprocess.CalledProcessError:
    return subprocess.CalledProcessError(1, list(argv), "", "simulated failure")


@dataclass
class FakeMicroK8s:
    """Stands in for the ``microk8s`` module; ``calls`` lists (name, *args) in order."""

    host: str = "node-0"
    ready: bool = True
    cluster_nodes: set[str] | None = field(default_factory=set)
    failing_removals: dict[str, int] = field(default_factory=dict)
    failing_joins: int = 0
    failing: set[str] = field(default_factory=set)  # names of commands that fail
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def named(self, name: str) -> list[tuple[Any, ...]]:
        """Return the arguments of every call to ``name``."""
        return [call[1:] for call in self.calls if call[0] == name]

    def names(self) -> list[str]:
        """Return the names of all calls, in order."""
        return [call[0] for call in self.calls]

    def install(self, channel: str) -> None:
        self.calls.append(("install", channel))

    def refresh(self, channel: str) -> None:
        self.calls.append(("refresh", channel))

    def remove(self) -> None:
        self.calls.append(("remove",))

    def restart_containerd(self) -> None:
        self.calls.append(("restart_containerd",))

    def add_node(self, token: str, ttl: int) -> None:
        self.calls.append(("add_node", token, ttl))
        if "add_node" in self.failing:
            raise _fail("add-node", "--token", "***")

    def join(self, url: str, *, worker: bool) -> None:
        self.calls.append(("join", url, worker))
        if self.failing_joins > 0:
            self.failing_joins -= 1
            raise _fail("join", "<masked>")

    def remove_node(self, hostname: str) -> None:
        self.calls.append(("remove_node", hostname))
        if self.failing_removals.get(hostname, 0) > 0:
            self.failing_removals[hostname] -= 1
            raise _fail("remove-node", hostname)
        if self.cluster_nodes is not None:
            self.cluster_nodes.discard(hostname)

    def wait_ready(self, timeout: int = 30) -> bool:
        self.calls.append(("wait_ready",))
        return self.ready

    def node_ready(self, hostname: str) -> bool:
        return self.ready and hostname == self.host

    def nodes(self) -> set[str] | None:
        return None if self.cluster_nodes is None else set(self.cluster_nodes)

    def version(self) -> str:
        return "1.31.1"

    def config(self, address: str) -> str:
        if "config" in self.failing:
            raise _fail("config")
        return f"server: https://{address}:16443\n"

    def set_addon(self, addon: str, enabled: bool) -> None:
        self.calls.append(("set_addon", addon, enabled))

    def kubectl(self, *args: str) -> str:
        self.calls.append(("kubectl", *args))
        if "kubectl" in self.failing:
            raise _fail("kubectl", *args)
        return ""

    def ensure_extra_sans(self, sans: list[str]) -> bool:
        self.calls.append(("ensure_extra_sans", sans))
        return False

    def ensure_cert_reissue(self, enabled: bool) -> bool:
        self.calls.append(("ensure_cert_reissue", enabled))
        return False

    def ensure_etc_hosts(self, entries: Mapping[str, str]) -> bool:
        self.calls.append(("ensure_etc_hosts", dict(entries)))
        return False

    def hostname(self) -> str:
        return self.host

    def issue_client_cert(self, user: str) -> tuple[str, str]:
        self.calls.append(("issue_client_cert", user))
        return "CERT", "KEY"

    def ensure_metrics_rbac(self, user: str) -> bool:
        self.calls.append(("ensure_metrics_rbac", user))
        return True

    def ensure_metrics_tls(self, cert: str, key: str) -> tuple[str, str]:
        self.calls.append(("ensure_metrics_tls", cert, key))
        return "/metrics/client.crt", "/metrics/client.key"


@dataclass
class FakeContainerd:
    """Stands in for the ``containerd`` module; ``changed`` is what its writers report.

    ``calls`` may be the fake microk8s module's list, so that one journal shows the order.
    """

    changed: bool = False
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def ensure_proxy(self, http: str, https: str, no_proxy: str) -> bool:
        self.calls.append(("ensure_proxy", http, https, no_proxy))
        return self.changed

    def ensure_registries(self, registries: list[containerd.Registry]) -> bool:
        self.calls.append(("ensure_registries", [r.url for r in registries]))
        return self.changed
