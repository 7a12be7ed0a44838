"""Leader election over the Store protocol with a coordination.k8s.io/v1 Lease.

The same code serves both backends: against Kubernetes it is an ordinary Lease; in the embedded
store the Lease object is the lock between processes sharing the file. Timing follows client-go:
the leader renews every `retry_period` and gives up once it has failed to renew for
`renew_deadline` (before its lease of `lease_duration` can expire, so two leaders never overlap);
candidates retry every `retry_period` and take the lease when it is free or expired
(renewTime + leaseDurationSeconds < now). Writes use the read resourceVersion, so a ConflictError
means another candidate won the race.
"""

import asyncio
import logging
import math
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from beskar7.api.errors import AlreadyExistsError, ConflictError, NotFoundError
from beskar7.api.kinds import LEASE, Obj
from beskar7.runtime.aio import wait_event
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)

LEASE_NAME = "beskar7.infrastructure.cluster.x-k8s.io"
DEFAULT_NAMESPACE = "beskar7-system"


def default_identity() -> str:
    return f"{socket.gethostname()}_{os.getpid()}_{secrets.token_hex(4)}"


def micro_time(moment: datetime) -> str:
    """Kubernetes MicroTime: RFC 3339 with microseconds, UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class LeaderElectionConfig:
    namespace: str = DEFAULT_NAMESPACE
    name: str = LEASE_NAME
    identity: str = field(default_factory=default_identity)
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0


class LeaderElector:
    """Acquires, keeps and releases the lease; `lost` is set when leadership ends."""

    def __init__(
        self,
        store: Store,
        config: LeaderElectionConfig | None = None,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.config = config if config is not None else LeaderElectionConfig()
        self.identity = self.config.identity
        self.lost = asyncio.Event()
        self.is_leader = False
        self._now = now
        self._held_by_other = False

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Try every `retry_period` until leader (True) or `stop` is set (False)."""
        log.info("waiting to lead: lease %s/%s as %s", *self._where(), self.identity)
        while not stop.is_set():
            if await self._attempt():
                self.is_leader = True
                self.lost.clear()
                log.info("became leader (lease %s/%s)", *self._where())
                return True
            await wait_event(stop, self.config.retry_period)
        return False

    async def keep(self) -> None:
        """Renew every `retry_period`; return (with `lost` set) once leadership is gone."""
        last_renewal = time.monotonic()
        while self.is_leader:
            await asyncio.sleep(self.config.retry_period)
            renewed = await self._attempt()
            if not self._leading():
                return  # released meanwhile
            if renewed:
                last_renewal = time.monotonic()
                continue
            if self._held_by_other or time.monotonic() - last_renewal > self.config.renew_deadline:
                self._lose()

    async def release(self) -> None:
        """Give the lease up at once (graceful shutdown) so a successor need not wait.

        Cancel the task running `keep` first, so no renewal races the release."""
        was_leader, self.is_leader = self.is_leader, False
        if not was_leader:
            return
        try:
            lease = await self.store.get(LEASE, *self._where())
            spec = lease.get("spec") or {}
            if spec.get("holderIdentity") != self.identity:
                return
            now = micro_time(self._now())
            lease["spec"] = {**spec, "leaseDurationSeconds": 1, "renewTime": now}
            lease["spec"].pop("holderIdentity", None)
            await self.store.update(lease)
            log.info("released the lease %s/%s", *self._where())
        except Exception as exc:
            log.warning("could not release the lease: %s: %s", type(exc).__name__, exc)
        finally:
            self.lost.set()

    def _leading(self) -> bool:
        return self.is_leader

    def _lose(self) -> None:
        self.is_leader = False
        self.lost.set()
        log.error("leadership lost (lease %s/%s)", *self._where())

    def _where(self) -> tuple[str, str]:
        return self.config.namespace, self.config.name

    async def _attempt(self) -> bool:
        """One try to acquire or renew; False on any failure (logged)."""
        self._held_by_other = False
        timeout = max(self.config.renew_deadline, 0.1)
        try:
            async with asyncio.timeout(timeout):
                return await self._try_acquire_or_renew()
        except (ConflictError, AlreadyExistsError):
            return False  # another candidate wrote first
        except Exception as exc:
            log.warning("lease %s/%s: %s: %s", *self._where(), type(exc).__name__, exc)
            return False

    async def _try_acquire_or_renew(self) -> bool:
        now = self._now()
        try:
            lease = await self.store.get(LEASE, *self._where())
        except NotFoundError:
            await self.store.create(self._new_lease(now))
            return True
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity")
        if holder and holder != self.identity and not _expired(spec, now):
            self._held_by_other = True
            return False
        renewed = {**spec, **self._holder_spec(now)}
        if holder != self.identity:
            renewed["acquireTime"] = micro_time(now)
            renewed["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
            if holder:
                log.info("lease held by %s expired; taking over", holder)
        lease["spec"] = renewed
        await self.store.update(lease)  # carries the read resourceVersion
        return True

    def _holder_spec(self, now: datetime) -> Obj:
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": max(1, math.ceil(self.config.lease_duration)),
            "renewTime": micro_time(now),
        }

    def _new_lease(self, now: datetime) -> Obj:
        namespace, name = self._where()
        spec = {**self._holder_spec(now), "acquireTime": micro_time(now), "leaseTransitions": 0}
        return {
            "apiVersion": LEASE.api_version,
            "kind": LEASE.kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }


def _expired(spec: Obj, now: datetime) -> bool:
    renewed = parse_time(spec.get("renewTime"))
    duration = spec.get("leaseDurationSeconds")
    if renewed is None or not isinstance(duration, int | float):
        return True
    return renewed + timedelta(seconds=duration) < now
