"""Common ground of the charm's requirer endpoints (ingress, s3, oauth)."""

from __future__ import annotations

import ops


class Endpoint(ops.Object):
    """One relation endpoint of the charm, related to at most one application."""

    def __init__(self, charm: ops.CharmBase, relation_name: str) -> None:
        super().__init__(charm, relation_name)
        self._charm = charm
        self.relation_name = relation_name

    @property
    def relation(self) -> ops.Relation | None:
        """The active relation, if any (None while it is being broken)."""
        relation = self._charm.model.get_relation(self.relation_name)
        return relation if relation is not None and relation.active else None
