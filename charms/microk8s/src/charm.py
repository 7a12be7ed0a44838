#!/usr/bin/env python3
"""Event wiring for the MicroK8s machine charm: every event runs one idempotent reconcile."""

from __future__ import annotations

import functools
import json

import ops

import cluster
import containerd
import microk8s
from actions import NodeActions
from config import CharmConfig, Role
from observability import Observability
from rolling import RollingRefresh

PEER, PROVIDES, REQUIRES = "peer", "microk8s-provides", "microk8s"


class MicroK8sCharm(ops.CharmBase):
    """Installs MicroK8s and clusters control-plane and worker units."""

    _stored = ops.StoredState()  # type: ignore[no-untyped-call]

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(role="", installed=False, joined=False, hostnames={})
        self._stored.set_default(channel="", refresh_pending=False, addons={})
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
            self._stored.joined = False  # this unit is leaving; the leader removes its node
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
        return str(binding.network.ingress_address) if binding else ""

    def _is_cluster_member(self) -> bool:
        return self._role is Role.CONTROL_PLANE and bool(self._stored.joined)

    @property
    def _peer(self) -> ops.Relation | None:
        return self.model.get_relation(PEER)

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
            self._reconcile_worker()
        else:
            self._reconcile_control_plane(config, rotate_token)
        needed = self._stored.channel != config.channel or bool(self._stored.refresh_pending)
        self.rolling.run(needed and self._stored.installed, lambda: self._refresh(config.channel))
        self._publish_observability()
        if self._stored.installed:
            self.unit.set_workload_version(microk8s.version())

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
        for relation in self._member_relations() + self.model.relations[REQUIRES]:
            relation.data[self.unit].update(own)
        members = self._members() if config.manage_etc_hosts else {}
        microk8s.ensure_etc_hosts(members)

    def _member_relations(self) -> list[ops.Relation]:
        """The relations whose units are this cluster's members: peers and workers."""
        peer = [self._peer] if self._peer else []
        return peer + list(self.model.relations[PROVIDES])

    def _members(self) -> dict[str, str]:
        """Return ``hostname -> address`` for every cluster member this unit can see."""
        members = {microk8s.hostname(): self._address}
        for relation in self._member_relations() + self.model.relations[REQUIRES]:
            for unit in relation.units:
                data = relation.data[unit]
                if data.get("hostname") and data.get("address"):
                    members[data["hostname"]] = data["address"]
        return members

    def _reconcile_worker(self) -> None:
        relation = self.model.get_relation(REQUIRES)
        if relation is None:
            if self._stored.joined:  # the relation is gone: leave the cluster cleanly
                microk8s.remove()
                self._stored.installed = self._stored.joined = False
            return
        url = relation.data[relation.app].get("join_url") if relation.app else None
        if url and not self._stored.joined:
            microk8s.join(url, worker=True)
            microk8s.wait_ready()
            self._stored.joined = True

    def _reconcile_control_plane(self, config: CharmConfig, rotate_token: bool) -> None:
        for relation in self._member_relations():
            for unit in relation.units:
                if hostname := relation.data[unit].get("hostname"):
                    self._stored.hostnames[unit.name] = hostname
        url = self._peer.data[self.app].get("join_url", "") if self._peer else ""
        if not self._stored.joined:
            if self.unit.is_leader() and not url:
                self._stored.joined = True  # bootstrap: this unit's cluster is the cluster
            elif url and cluster.url_address(url) != self._address:
                microk8s.join(url, worker=False)
                microk8s.wait_ready()
                self._stored.joined = True
        if self.unit.is_leader() and self._stored.joined:
            self._publish_join_url(url, rotate_token)
            self._remove_departed()
            self._apply_addons(config)
            self.observability.share_secret(self._peer, microk8s.issue_client_cert)

    def _publish_join_url(self, url: str, rotate: bool) -> None:
        relations = self._member_relations()
        if not relations:
            return
        if rotate or not url or cluster.url_address(url) != self._address:
            token = cluster.new_token()
            microk8s.add_node(token, cluster.TOKEN_TTL)
            url = cluster.join_url(self._address, token)
        for relation in relations:
            relation.data[self.app]["join_url"] = url

    def _remove_departed(self) -> None:
        peer = self._peer
        if peer is None:
            return
        present = {unit.name for r in self._member_relations() for unit in r.units}
        gone = cluster.departed(dict(self._stored.hostnames), present)
        for unit in gone:
            del self._stored.hostnames[unit]
        queue = json.loads(peer.data[self.app].get("remove_nodes", "[]"))
        queue = cluster.enqueue(queue, gone.values())
        if queue:
            nodes, own = microk8s.nodes(), microk8s.hostname()
            queue = cluster.drain_queue(queue, own, nodes, microk8s.remove_node)
        peer.data[self.app]["remove_nodes"] = json.dumps(queue)

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
        source = self._peer if control_plane else self.model.get_relation(REQUIRES)
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
        elif not self._stored.joined:
            event.add_status(ops.WaitingStatus("waiting to join the cluster"))
        elif self.rolling.waiting():
            event.add_status(ops.WaitingStatus("waiting for the refresh lock"))
        elif not microk8s.node_ready(microk8s.hostname()):
            event.add_status(ops.WaitingStatus("node is not Ready"))
        event.add_status(ops.ActiveStatus())


if __name__ == "__main__":  # pragma: nocover
    ops.main(MicroK8sCharm)
