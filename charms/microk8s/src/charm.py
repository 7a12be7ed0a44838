#!/usr/bin/env python3
"""Event wiring for the MicroK8s machine charm: every event runs one idempotent reconcile."""

from __future__ import annotations

import functools

import ops

import containerd
import microk8s
from actions import NodeActions
from clustering import PEER, PROVIDES, REQUIRES, Clustering
from config import CharmConfig, Role
from observability import METRICS_USER, Observability
from rolling import RollingRefresh


class MicroK8sCharm(ops.CharmBase):
    """Installs MicroK8s and clusters control-plane and worker units."""

    _stored = ops.StoredState()  # type: ignore[no-untyped-call]

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(role="", installed=False, joined=False, hostnames={})
        self._stored.set_default(channel="", refresh_pending=False, addons={}, leaving=False)
        self.clustering = Clustering(self, self._stored, microk8s, lambda: self._address)
        self.rolling = RollingRefresh(self, PEER)
        self.observability = Observability(self)
        on = self.on
        for event in (
            on.install, on.config_changed, on.update_status, on.leader_elected,
            on.secret_changed, on[PEER].relation_changed, on[PROVIDES].relation_changed,
            on[PROVIDES].relation_departed, on[PROVIDES].relation_broken,
            on[REQUIRES].relation_changed, on[REQUIRES].relation_broken,
            on["cos-agent"].relation_joined, on[PEER].relation_joined,
            on[PROVIDES].relation_joined,
        ):  # fmt: skip
            framework.observe(event, self._on_reconcile)
        framework.observe(on[PEER].relation_departed, self._on_peer_departed)
        framework.observe(on.upgrade_charm, self._on_upgrade_charm)
        framework.observe(on.remove, self._on_remove)
        framework.observe(on.collect_unit_status, self._on_collect_unit_status)
        self.actions = NodeActions(self, microk8s, self._is_cluster_member, lambda: self._address)

    def _on_reconcile(self, event: ops.EventBase) -> None:
        # A unit joining the cluster gets a fresh token: tokens expire after TOKEN_TTL.
        joined = isinstance(event, ops.RelationJoinedEvent) and event.relation.name != "cos-agent"
        self._reconcile(rotate_token=joined)

    def _on_peer_departed(self, event: ops.RelationDepartedEvent) -> None:
        if event.departing_unit == self.unit:
            # The leader removes this unit's node; joining again would leave a stale node.
            self._stored.joined, self._stored.leaving = False, True
            return
        self._reconcile(rotate_token=False)

    def _on_upgrade_charm(self, _: ops.UpgradeCharmEvent) -> None:
        self._stored.refresh_pending = True
        self._reconcile(rotate_token=False)

    def _on_remove(self, _: ops.RemoveEvent) -> None:
        if self._stored.installed:
            microk8s.remove()

    def _load_config(self) -> tuple[CharmConfig | None, str]:
        """Return the typed config, or None and the reason it is invalid."""
        try:
            return self.load_config(CharmConfig), ""
        except ValueError as e:
            return None, str(e)

    @property
    def _role(self) -> Role:
        return Role.parse(self._stored.role)

    @functools.cached_property
    def _address(self) -> str:
        binding = self.model.get_binding(PEER)
        address = binding.network.ingress_address if binding else None
        return str(address) if address else ""  # not "None" before the network is up

    def _is_cluster_member(self) -> bool:
        return self._role is Role.CONTROL_PLANE and bool(self._stored.joined)

    def _reconcile(self, *, rotate_token: bool) -> None:
        config, _ = self._load_config()
        if config is None:
            return  # collect-status reports the invalid option
        if not self._stored.role:
            self._stored.role = Role.parse(config.role).value
        if Role.parse(config.role) != self._role:
            return  # collect-status reports the role change
        fresh = self._ensure_installed(config)
        self._configure_node(config)
        if fresh:
            microk8s.wait_ready()  # first wait-ready, after registries and proxies are set
        if self._role is Role.WORKER:
            self.clustering.reconcile_worker()
        else:
            self.clustering.reconcile_control_plane(rotate_token)
            if self.unit.is_leader() and self._stored.joined:
                self._apply_addons(config)
                peer = self.clustering.peer
                self.observability.share_secret(peer, microk8s.issue_client_cert)
                microk8s.ensure_metrics_rbac(METRICS_USER)
        needed = self._stored.channel != config.channel or bool(self._stored.refresh_pending)
        self.rolling.run(needed and self._stored.installed, lambda: self._refresh(config.channel))
        self._publish_observability()
        if self._stored.installed and (version := microk8s.version()):
            self.unit.set_workload_version(version)

    def _ensure_installed(self, config: CharmConfig) -> bool:
        if self._stored.installed:
            return False
        microk8s.install(config.channel)
        self._stored.installed, self._stored.channel = True, config.channel
        return True

    def _configure_node(self, config: CharmConfig) -> None:
        if not self._stored.installed:
            return
        proxies = (config.containerd_http_proxy, config.containerd_https_proxy)
        changed = containerd.ensure_proxy(*proxies, config.containerd_no_proxy)
        if containerd.ensure_registries(config.registries) or changed:
            microk8s.restart_containerd()
        if self._role is Role.CONTROL_PLANE:
            microk8s.ensure_extra_sans(config.sans(self._address))
            microk8s.ensure_cert_reissue(config.automatic_certificate_reissue)
        own = {"hostname": microk8s.hostname(), "address": self._address}
        for relation in self.clustering.member_relations() + self.model.relations[REQUIRES]:
            relation.data[self.unit].update(own)
        members = self._members() if config.manage_etc_hosts else {}
        microk8s.ensure_etc_hosts(members)

    def _members(self) -> dict[str, str]:
        """Return ``hostname -> address`` for every cluster member this unit can see."""
        members = {microk8s.hostname(): self._address}
        for relation in self.clustering.member_relations() + self.model.relations[REQUIRES]:
            for unit in relation.units:
                data = relation.data[unit]
                if data.get("hostname") and data.get("address"):
                    members[data["hostname"]] = data["address"]
        return members

    def _apply_addons(self, config: CharmConfig) -> None:
        for addon, enabled in config.addons().items():
            if self._stored.addons.get(addon, False) != enabled:
                microk8s.set_addon(addon, enabled)
                self._stored.addons[addon] = enabled

    def _refresh(self, channel: str) -> None:
        microk8s.refresh(channel)
        self._stored.channel, self._stored.refresh_pending = channel, False

    def _publish_observability(self) -> None:
        control_plane = self._role is Role.CONTROL_PLANE
        source = self.clustering.peer if control_plane else self.model.get_relation(REQUIRES)
        node = (microk8s.hostname(), control_plane)
        self.observability.publish(source, node, microk8s.ensure_metrics_tls)

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent) -> None:
        config, error = self._load_config()
        if config is None:
            event.add_status(ops.BlockedStatus(error))
        elif self._stored.role and Role.parse(config.role) != self._role:
            new = Role.parse(config.role).value
            msg = f"role cannot change from {self._role.value} to {new} after deployment"
            event.add_status(ops.BlockedStatus(msg))
        if not self._stored.installed:
            event.add_status(ops.MaintenanceStatus("installing MicroK8s"))
        elif self._role is Role.WORKER and self.model.get_relation(REQUIRES) is None:
            event.add_status(ops.WaitingStatus("waiting for a microk8s relation"))
        elif self._stored.leaving:
            event.add_status(ops.MaintenanceStatus("leaving the cluster"))
        elif self.clustering.join_failed:
            event.add_status(ops.WaitingStatus("joining the cluster failed; retrying"))
        elif not self._stored.joined:
            event.add_status(ops.WaitingStatus("waiting to join the cluster"))
        elif self.rolling.waiting():
            event.add_status(ops.WaitingStatus("waiting for the refresh lock"))
        elif not microk8s.node_ready(microk8s.hostname()):
            event.add_status(ops.WaitingStatus("node is not Ready"))
        event.add_status(ops.ActiveStatus())


if __name__ == "__main__":  # pragma: nocover
    ops.main(MicroK8sCharm)
