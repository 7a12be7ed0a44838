"""Job leases on both engines: one holder at a time, renewal, hand-over after expiry, release,
and processes racing for a free lease (one winner)."""

import threading
from datetime import timedelta

from felhom_hub.store import Database, leases
from tests.conftest import START, sibling

TTL = timedelta(seconds=30)


def take(db: Database, holder: str, at: timedelta = timedelta(0), job: str = "staleness") -> bool:
    with db.write() as conn:
        return leases.acquire(conn, job=job, holder=holder, now=START + at, ttl=TTL)


def holder_of(db: Database, job: str = "staleness") -> str | None:
    with db.read() as conn:
        found = leases.holders(conn).get(job)
    return found[0] if found else None


def test_one_holder_at_a_time_and_renewal_keeps_it(db: Database) -> None:
    assert take(db, "a")
    assert not take(db, "b")
    assert take(db, "a", timedelta(seconds=20))  # renewed to 50 s
    assert not take(db, "b", timedelta(seconds=40))  # would have expired without the renewal
    assert holder_of(db) == "a"
    assert take(db, "b", job="dispatch")  # each job has its own lease


def test_an_expired_lease_passes_to_the_next_taker(db: Database) -> None:
    assert take(db, "a")
    assert not take(db, "b", timedelta(seconds=29))
    assert take(db, "b", timedelta(seconds=30))
    assert holder_of(db) == "b"
    assert not take(db, "a", timedelta(seconds=31))  # the old holder has lost it


def test_release_frees_the_lease_only_for_its_holder(db: Database) -> None:
    assert take(db, "a")
    with db.write() as conn:
        assert not leases.release(conn, job="staleness", holder="b")
    assert not take(db, "b")
    with db.write() as conn:
        assert leases.release(conn, job="staleness", holder="a")
    assert take(db, "b")


def race(racers: list[Database], at: timedelta) -> list[str]:
    """Every racer tries to take the lease at once; the holders that won."""
    barrier = threading.Barrier(len(racers))
    won: list[str] = []

    def run(index: int) -> None:
        barrier.wait(timeout=10)
        if take(racers[index], f"r{index}", at):
            won.append(f"r{index}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(racers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return won


def test_processes_racing_for_a_free_or_expired_lease_get_one_winner(db: Database) -> None:
    racers = [sibling(db) for _ in range(6)]
    try:
        for at in (timedelta(0), timedelta(minutes=5)):  # free, then expired
            won = race(racers, at)
            assert len(won) == 1, (at, won)
            assert holder_of(db) == won[0]
    finally:
        for racer in racers:
            racer.dispose()
