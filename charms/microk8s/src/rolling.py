"""A one-unit-at-a-time lock over the peer relation, for snap refreshes.

Each unit that needs a refresh sets ``refresh=requested`` in its peer unit databag. The
leader grants the lock by writing the unit's name to the app databag's ``refresh_holder``;
the holder refreshes, clears its request, and the leader passes the lock on.
"""

from __future__ import annotations

from collections.abc import Callable

import ops

import cluster

REQUEST_KEY = "refresh"
HOLDER_KEY = "refresh_holder"
REQUESTED = "requested"


class RollingRefresh(ops.Object):
    """Runs a refresh on this unit when the peer lock allows it."""

    def __init__(self, charm: ops.CharmBase, relation_name: str):
        super().__init__(charm, "rolling-refresh")
        self._charm = charm
        self._relation_name = relation_name

    def run(self, needed: bool, refresh: Callable[[], None]) -> None:
        """Ask for the lock when ``needed``; call ``refresh`` once this unit holds it."""
        relation = self._charm.model.get_relation(self._relation_name)
        if relation is None:
            if needed:
                refresh()
            return
        unit, app = self._charm.unit, self._charm.app
        relation.data[unit][REQUEST_KEY] = REQUESTED if needed else ""
        self._grant(relation)
        if needed and relation.data[app].get(HOLDER_KEY) == unit.name:
            refresh()
            relation.data[unit][REQUEST_KEY] = ""
            self._grant(relation)

    def waiting(self) -> bool:
        """Return True while this unit asks for the lock and does not hold it."""
        relation = self._charm.model.get_relation(self._relation_name)
        if relation is None or relation.data[self._charm.unit].get(REQUEST_KEY) != REQUESTED:
            return False
        return relation.data[self._charm.app].get(HOLDER_KEY) != self._charm.unit.name

    def _grant(self, relation: ops.Relation) -> None:
        """On the leader, give the lock to the next unit that asks for it."""
        if not self._charm.unit.is_leader():
            return
        units = [self._charm.unit, *relation.units]
        requests = {u.name: relation.data[u].get(REQUEST_KEY, "") for u in units}
        holder = relation.data[self._charm.app].get(HOLDER_KEY, "")
        relation.data[self._charm.app][HOLDER_KEY] = cluster.next_holder(holder, requests)
