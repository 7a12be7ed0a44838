"""Cluster membership over the peer and worker relations: join URLs, joins, node removal.

The charm's stored state holds ``joined``, ``leaving``, ``installed`` and ``hostnames``
(unit -> hostname, kept by every control-plane unit); the peer app databag holds
``join_url`` and ``remove_nodes`` (a JSON list of hostnames), both written by the leader.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable
from types import ModuleType
from typing import Any

import ops

import cluster

logger = logging.getLogger(__name__)

PEER, PROVIDES, REQUIRES = "peer", "microk8s-provides", "microk8s"


class Clustering(ops.Object):
    """Forms, joins and heals the MicroK8s cluster; ``workload`` is the microk8s module."""

    def __init__(
        self,
        charm: ops.CharmBase,
        stored: Any,
        workload: ModuleType,
        address: Callable[[], str],
    ):
        super().__init__(charm, "clustering")
        self._charm, self._stored, self._workload, self._address = charm, stored, workload, address
        self.join_failed = False

    @property
    def peer(self) -> ops.Relation | None:
        """The peer relation, if this unit has one yet."""
        return self._charm.model.get_relation(PEER)

    def member_relations(self) -> list[ops.Relation]:
        """The relations whose units are this cluster's members: peers and workers."""
        peer = [self.peer] if self.peer else []
        return peer + list(self._charm.model.relations[PROVIDES])

    def reconcile_worker(self) -> None:
        """Join the related control plane, or leave the cluster once the relation is gone."""
        relation = self._charm.model.get_relation(REQUIRES)
        if relation is None:
            if self._stored.joined:  # the relation is gone: leave the cluster cleanly
                self._workload.remove()
                self._stored.installed = self._stored.joined = False
            return
        url = relation.data[relation.app].get("join_url") if relation.app else None
        if url and not self._stored.joined:
            self._join(url, worker=True)

    def reconcile_control_plane(self, rotate_token: bool) -> None:
        """Record members, bootstrap or join; on the leader, share the URL and remove nodes."""
        for relation in self.member_relations():
            for unit in relation.units:
                if hostname := relation.data[unit].get("hostname"):
                    self._stored.hostnames[unit.name] = hostname
        unit, app = self._charm.unit, self._charm.app
        url = self.peer.data[app].get("join_url", "") if self.peer else ""
        if not self._stored.joined:
            if unit.is_leader() and not url and not self._stored.leaving:
                self._stored.joined = True  # bootstrap: this unit's cluster is the cluster
            elif url and cluster.url_address(url) != self._address():
                self._join(url, worker=False)
        if unit.is_leader() and self._stored.joined:
            self._publish_join_url(url, rotate_token)
            self._remove_departed()

    def _join(self, url: str, *, worker: bool) -> None:
        """Join the cluster behind ``url``; a failure is retried on the next event."""
        if self._stored.leaving:
            return  # the leader removes this unit's node; joining again would leave it stale
        try:
            self._workload.join(url, worker=worker)
        except subprocess.CalledProcessError as e:  # util.run masked the token
            logger.warning("joining %s failed: %s", cluster.url_address(url), e.stderr)
            self.join_failed = True
            return
        self._workload.wait_ready()
        self._stored.joined = True

    def _publish_join_url(self, url: str, rotate: bool) -> None:
        relations, address = self.member_relations(), self._address()
        if not relations or not address:
            return  # nothing to share yet, or no address to put in a URL
        if rotate or not url or cluster.url_address(url) != address:
            token = cluster.new_token()
            self._workload.add_node(token, cluster.TOKEN_TTL)
            url = cluster.join_url(address, token)
        for relation in relations:
            relation.data[self._charm.app]["join_url"] = url

    def _remove_departed(self) -> None:
        peer = self.peer
        if peer is None:
            return
        present = {unit.name for r in self.member_relations() for unit in r.units}
        gone = cluster.departed(dict(self._stored.hostnames), present)
        for unit in gone:
            del self._stored.hostnames[unit]
        queue = json.loads(peer.data[self._charm.app].get("remove_nodes", "[]"))
        queue = cluster.enqueue(queue, gone.values())
        if queue:
            nodes, own = self._workload.nodes(), self._workload.hostname()
            queue = cluster.drain_queue(queue, own, nodes, self._workload.remove_node)
        peer.data[self._charm.app]["remove_nodes"] = json.dumps(queue)
