"""Builders and readers of ops.testing states for the charm's state-transition tests."""

from __future__ import annotations

from typing import Any

from ops import testing


def stored(**content: Any) -> testing.StoredState:
    """The charm's stored state, defaults overridden by ``content``."""
    defaults: dict[str, Any] = {
        "role": "control-plane",
        "installed": True,
        "joined": True,
        "hostnames": {},
        "channel": "",
        "refresh_pending": False,
        "addons": {},
    }
    return testing.StoredState("_stored", owner_path="MicroK8sCharm", content=defaults | content)


def stored_content(state: testing.State) -> dict[str, Any]:
    """Return the charm's stored state content from an output state."""
    (found,) = [s for s in state.stored_states if s.name == "_stored" and s.owner_path]
    return dict(found.content)


def network(address: str) -> testing.Network:
    """The peer binding with ``address`` as this unit's ingress address."""
    bind = testing.BindAddress([testing.Address(address)])
    return testing.Network("peer", [bind], ingress_addresses=[address])


def app_data(state: testing.State, relation: testing.RelationBase) -> dict[str, str]:
    """Return this app's databag of ``relation`` in an output state."""
    return dict(state.get_relation(relation.id).local_app_data or {})


def unit_data(state: testing.State, relation: testing.RelationBase) -> dict[str, str]:
    """Return this unit's databag of ``relation`` in an output state."""
    return dict(state.get_relation(relation.id).local_unit_data or {})
