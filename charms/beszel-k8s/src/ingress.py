"""Requirer side of the ``ingress`` v2 interface (per-app ingress), from its databag schema.

Hand-written: no maintained package on PyPI provides this interface (its library is a
charmhub lib fetched by charmcraft, not a Python package); OAuth uses the PyPI one.
"""

from __future__ import annotations

import json
import logging
import socket

import ops

from endpoint import Endpoint

logger = logging.getLogger(__name__)


class IngressRequirer(Endpoint):
    """Publishes where the hub listens and reads back the URL the provider assigned."""

    def __init__(self, charm: ops.CharmBase, relation_name: str = "ingress") -> None:
        super().__init__(charm, relation_name)

    def publish(self, port: int) -> None:
        """Write the requirer app (leader) and unit databags; every value JSON-encoded."""
        relation = self.relation
        if relation is None:
            return
        model = self._charm.model
        if model.unit.is_leader():
            is_open = any(p.port == port for p in model.unit.opened_ports())
            relation.data[model.app].update(
                {
                    "model": json.dumps(model.name),
                    "name": json.dumps(model.app.name),
                    "port": json.dumps(port),
                    "is_port_open": json.dumps(is_open),
                    "strip-prefix": json.dumps(True),
                }
            )
        relation.data[model.unit].update(
            {"host": json.dumps(socket.getfqdn()), "ip": json.dumps(self._bind_address())}
        )

    def withdraw(self) -> None:
        """A standby unit serves nothing: take its address out of the unit databag."""
        relation = self.relation
        if relation is None:
            return
        for key in ("host", "ip"):
            relation.data[self._charm.model.unit].pop(key, None)

    def _bind_address(self) -> str | None:
        binding = self._charm.model.get_binding(self.relation_name)
        if binding is None or binding.network.bind_address is None:
            return None
        return str(binding.network.bind_address)

    @property
    def url(self) -> str | None:
        """The URL the ingress provider serves the hub at, once it has published one."""
        relation = self.relation
        if relation is None or relation.app is None:
            return None
        raw = relation.data[relation.app].get("ingress")
        if not raw:
            return None
        try:
            url = json.loads(raw).get("url")
        except (ValueError, AttributeError):
            logger.warning("ignoring malformed ingress data from %s", relation.app.name)
            return None
        return str(url) if url else None
