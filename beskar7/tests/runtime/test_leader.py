"""Leader election over a Lease in the store: acquire, exclude, release, expire, lose."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

from beskar7.api.kinds import LEASE
from beskar7.runtime.leader import (
    DEFAULT_NAMESPACE,
    LEASE_NAME,
    LeaderElectionConfig,
    LeaderElector,
    micro_time,
    parse_time,
)
from beskar7.store.embedded.store import EmbeddedStore
from tests.fixtures.controller_runtime import StoreOpener


def elector(store: EmbeddedStore, identity: str, lease: float = 1.0) -> LeaderElector:
    config = LeaderElectionConfig(
        identity=identity, lease_duration=lease, renew_deadline=0.6, retry_period=0.05
    )
    return LeaderElector(store, config)


async def try_for(candidate: LeaderElector, seconds: float) -> bool:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    return await candidate.acquire(stop)


async def test_the_first_candidate_creates_the_lease(open_store: StoreOpener) -> None:
    store = open_store()
    assert await try_for(elector(store, "a"), 1)
    lease = await store.get(LEASE, DEFAULT_NAMESPACE, LEASE_NAME)
    spec = lease["spec"]
    assert lease["apiVersion"] == "coordination.k8s.io/v1"
    assert spec["holderIdentity"] == "a"
    assert spec["leaseDurationSeconds"] == 1
    assert spec["leaseTransitions"] == 0
    renewed = parse_time(spec["renewTime"])
    assert renewed is not None and abs(renewed - datetime.now(UTC)) < timedelta(seconds=5)


async def test_default_identity_and_timing() -> None:
    config = LeaderElectionConfig()
    assert (config.lease_duration, config.renew_deadline, config.retry_period) == (15, 10, 2)
    assert config.namespace == "beskar7-system"
    assert config.identity.count("_") >= 2
    assert LeaderElectionConfig().identity != config.identity


async def test_only_one_candidate_leads(open_store: StoreOpener) -> None:
    first, second = open_store(), open_store()
    a, b = elector(first, "a"), elector(second, "b")
    results = await asyncio.gather(try_for(a, 0.4), try_for(b, 0.4))
    assert sorted(results) == [False, True], "exactly one of two racing candidates wins"
    winner, loser = (a, b) if results[0] else (b, a)
    keeper = asyncio.create_task(winner.keep())
    try:
        assert not await try_for(loser, 1.5), "a renewed lease is never taken"
        assert winner.is_leader and not winner.lost.is_set()
    finally:
        keeper.cancel()


async def test_release_hands_over_at_once(open_store: StoreOpener) -> None:
    store = open_store()
    a, b = elector(store, "a", lease=15), elector(store, "b", lease=15)
    assert await try_for(a, 1)
    await a.release()
    assert a.lost.is_set() and not a.is_leader
    started = time.monotonic()
    assert await try_for(b, 2)
    assert time.monotonic() - started < 5, "no waiting for the 15 s lease to run out"
    lease = await store.get(LEASE, DEFAULT_NAMESPACE, LEASE_NAME)
    assert lease["spec"]["holderIdentity"] == "b"
    assert lease["spec"]["leaseTransitions"] == 1


async def test_an_abandoned_lease_is_taken_after_it_expires(open_store: StoreOpener) -> None:
    store = open_store()
    started = time.monotonic()
    assert await try_for(elector(store, "crashed"), 1)  # never renews, never releases
    assert not await try_for(elector(store, "b"), 0.3), "too early: the lease still runs"
    assert await try_for(elector(store, "b"), 3)
    assert time.monotonic() - started >= 0.95, "not before the lease ran out"
    lease = await store.get(LEASE, DEFAULT_NAMESPACE, LEASE_NAME)
    assert lease["spec"]["holderIdentity"] == "b"
    assert lease["spec"]["leaseTransitions"] == 1


async def test_the_leader_renews_and_notices_a_takeover(open_store: StoreOpener) -> None:
    store = open_store()
    a = elector(store, "a")
    assert await try_for(a, 1)
    first = (await store.get(LEASE, DEFAULT_NAMESPACE, LEASE_NAME))["spec"]["renewTime"]
    keeper = asyncio.create_task(a.keep())
    await asyncio.sleep(0.2)
    lease = await store.get(LEASE, DEFAULT_NAMESPACE, LEASE_NAME)
    assert lease["spec"]["renewTime"] > first
    future = datetime.now(UTC) + timedelta(seconds=30)
    lease["spec"].update(holderIdentity="usurper", renewTime=micro_time(future))
    await store.update(lease)
    await asyncio.wait_for(keeper, 2)
    assert a.lost.is_set() and not a.is_leader


async def test_a_leader_that_cannot_renew_steps_down_before_its_lease_ends(
    open_store: StoreOpener,
) -> None:
    store = open_store()
    a = elector(store, "a")
    assert await try_for(a, 1)
    keeper = asyncio.create_task(a.keep())
    await store.close()  # every renewal fails from now on
    await asyncio.wait_for(a.lost.wait(), 3)
    assert not a.is_leader
    await asyncio.wait_for(keeper, 1)
