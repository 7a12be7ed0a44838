"""Pure clustering decisions: join URLs, departed nodes, the rolling-refresh lock."""

from __future__ import annotations

import logging
import secrets
import subprocess
from collections.abc import Callable, Iterable, Mapping

from microk8s import CLUSTER_AGENT_PORT

logger = logging.getLogger(__name__)

TOKEN_TTL = 7200


def new_token() -> str:
    """Return a fresh random join token."""
    return secrets.token_hex(16)


def join_url(address: str, token: str) -> str:
    """Return the URL that ``microk8s join`` takes."""
    host = f"[{address}]" if ":" in address else address
    return f"{host}:{CLUSTER_AGENT_PORT}/{token}"


def url_address(url: str) -> str:
    """Return the address part of a join URL."""
    return url.rsplit(":", 1)[0].strip("[]")


def departed(hostnames: Mapping[str, str], present: Iterable[str]) -> dict[str, str]:
    """Return the recorded ``unit -> hostname`` entries whose unit is no longer present."""
    here = set(present)
    return {unit: host for unit, host in hostnames.items() if unit not in here}


def enqueue(pending: list[str], hostnames: Iterable[str]) -> list[str]:
    """Add ``hostnames`` to the removal queue, keeping order and skipping duplicates."""
    queue = list(pending)
    for host in hostnames:
        if host and host not in queue:
            queue.append(host)
    return queue


def drain_queue(
    queue: list[str], own: str, nodes: set[str] | None, remove: Callable[[str], None]
) -> list[str]:
    """Remove each queued node; return the hostnames still to remove.

    This unit's own node stays queued for a future leader. A node missing from ``nodes``
    is already gone (``None`` means the node list could not be read). Failures stay queued.
    """
    left = []
    for host in queue:
        if host == own:
            left.append(host)
        elif nodes is None or host in nodes:
            try:
                remove(host)
            except subprocess.CalledProcessError:
                logger.warning("removing node %s failed; will retry", host)
                left.append(host)
    return left


def next_holder(holder: str, requests: Mapping[str, str]) -> str:
    """Return who holds the refresh lock next, given each present unit's request.

    The holder keeps the lock while it still asks; else the lowest-numbered unit that asks
    gets it; else nobody ("").
    """
    asking = sorted((unit for unit, asks in requests.items() if asks), key=_unit_number)
    if holder in asking:
        return holder
    return asking[0] if asking else ""


def _unit_number(unit: str) -> int:
    """Return the number of a unit name such as ``microk8s/3``."""
    return int(unit.rsplit("/", 1)[1])
