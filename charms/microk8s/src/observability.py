"""The cos-agent provider and the metrics client certificate, kept in a Juju secret.

The control-plane leader signs one client certificate for the scraper, stores it in an
application secret and shares the secret's ID (never its content) with its peers and
with related worker applications. Every unit writes the certificate to local files that
its scrape jobs reference, and publishes the cos-agent databag.
"""

from __future__ import annotations

from collections.abc import Callable

import ops
from cosl import JujuTopology

import cos

SECRET_KEY = "metrics_secret"
SECRET_LABEL = "metrics-tls"
METRICS_USER = "microk8s-charm-metrics"


class Observability(ops.Object):
    """Publishes scrape jobs, alert rules and dashboards on the cos-agent relation."""

    def __init__(self, charm: ops.CharmBase, relation_name: str = "cos-agent"):
        super().__init__(charm, "observability")
        self._charm = charm
        self._relation_name = relation_name

    def share_secret(
        self, peer: ops.Relation | None, issue: Callable[[str], tuple[str, str]]
    ) -> None:
        """On the control-plane leader: create the TLS secret once and share its ID."""
        if peer is None:
            return
        secret_id = peer.data[self._charm.app].get(SECRET_KEY)
        if not secret_id:
            cert, key = issue(METRICS_USER)
            secret = self._charm.app.add_secret({"cert": cert, "key": key}, label=SECRET_LABEL)
            secret_id = secret.id or ""
            peer.data[self._charm.app][SECRET_KEY] = secret_id
        secret = self._charm.model.get_secret(id=secret_id)
        for relation in self._charm.model.relations["microk8s-provides"]:
            secret.grant(relation)
            relation.data[self._charm.app][SECRET_KEY] = secret_id

    def publish(
        self,
        source: ops.Relation | None,
        node: tuple[str, bool],
        write_tls: Callable[[str, str], tuple[str, str]],
    ) -> None:
        """Write the cos-agent databag for this unit's ``(hostname, is_control_plane)``.

        ``source`` is the relation whose app databag carries the TLS secret's ID.
        """
        relations = self._charm.model.relations[self._relation_name]
        if not relations:
            return
        tls = cos.TlsFiles(*write_tls(*self._tls_content(source)))
        jobs = cos.scrape_jobs(node[0], node[1], tls)
        data = cos.databag(jobs, JujuTopology.from_charm(self._charm))
        for relation in relations:
            relation.data[self._charm.unit].update(data)

    def _tls_content(self, source: ops.Relation | None) -> tuple[str, str]:
        """Return the certificate and key from the shared secret ("" until it is shared)."""
        secret_id = source.data[source.app].get(SECRET_KEY) if source and source.app else None
        if not secret_id:
            return "", ""
        content = self._charm.model.get_secret(id=secret_id).get_content(refresh=True)
        return content["cert"], content["key"]
