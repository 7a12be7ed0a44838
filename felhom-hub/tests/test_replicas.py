"""Several replicas of the hub on one database, as real ``felhom-hub serve`` processes with short
thresholds and a real SMTP server: three on one PostgreSQL database (two on one SQLite file).

A customer reports through one replica and falls silent: node_stale and node_down are stored
once each and each mail arrives once, though every replica ticks the staleness checker and the
dispatcher many times. Then the lease holder is SIGKILLed: the survivors take its jobs over
once its lease expires (``jobs.leases.FLOOR``, 30 s, for these short intervals), and a second
customer that falls silent gets its events and mails exactly once too. A dashboard login on
one replica is accepted by the others (one session key)."""

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from felhom_hub.jobs.leases import FLOOR
from felhom_hub.secrets import hash_password
from felhom_hub.store import Database, leases
from felhom_hub.web.sessions import COOKIE
from tests import pg_server
from tests.alerting.peers import Mailbox, smtp_server
from tests.conftest import report_body
from tests.hub_process import GLOBAL_KEY, HubProcess, replica_env, start_hub, wait_for

pytestmark = pytest.mark.slow
AUTH = {"Authorization": f"Bearer {GLOBAL_KEY}"}
PASSWORD = "replica dashboard password"
HASH = hash_password(PASSWORD)  # one hub.yaml for all: a session is bound to the hash too
STALE = 5  # seconds: the smallest stale_threshold the config allows
EVENTS = ("node_stale", "node_down")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sections(smtp_port: int) -> str:
    return (
        f'auth:\n  password_hash: "{HASH}"\n'
        f"alerting:\n  stale_threshold: {STALE}s\n  check_interval: 1s\n"
        "notifications:\n  operator_email: ops@example.com\n"
        f"  smtp:\n    host: 127.0.0.1\n    port: {smtp_port}\n    security: none\n"
    )


@contextmanager
def shared_database(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[dict[str, str], Database, Callable[[int], Path]]]:
    """The replicas' environment, the test's own view of their database, and each replica's
    data_dir: one each on PostgreSQL, one for all on SQLite (the database file is in it)."""
    keys = tmp_path / "keys"
    if engine == "postgresql":
        server: pg_server.PostgresServer = request.getfixturevalue("postgres_server")
        url = server.url(server.new_database())
        env = replica_env(url, pg_server.PASSWORD, keys)
        observer = Database(url=make_url(url), password=pg_server.PASSWORD)
        observer.migrate()  # as the first replica would: the test reads leases from the start
    else:
        shared = tmp_path / "shared"
        env = replica_env("", "", keys)
        for storage in ("FELHOM_HUB_STORAGE_URL", "FELHOM_HUB_STORAGE_PASSWORD"):
            del env[storage]
        observer = Database(shared / "hub.db")
        observer.migrate()

    def data_dir(number: int) -> Path:
        found = tmp_path / f"replica{number}" if engine == "postgresql" else tmp_path / "shared"
        found.mkdir(exist_ok=True)
        return found

    try:
        yield env, observer, data_dir
    finally:
        observer.dispose()


def lease_pids(db: Database) -> dict[str, int]:
    """The pid of each job's lease holder (hostname:pid:random)."""
    with db.read() as conn:
        held = leases.holders(conn)
    return {job: int(holder.split(":")[1]) for job, (holder, _) in held.items()}


def holds_all(db: Database, hub: HubProcess) -> bool:
    held = lease_pids(db)
    return {"staleness", "dispatch"} <= held.keys() and set(held.values()) == {hub.process.pid}


def event_counts(hub: HubProcess, customer: str) -> Counter[str]:
    answer = httpx.get(f"{hub.url}/api/v1/customers/{customer}/events", headers=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    return Counter(e["event_type"] for e in answer.json()["events"])


def mails(box: Mailbox, customer: str) -> Counter[tuple[str, str]]:
    """(recipient, subject) of each mail about ``customer``, counted."""
    return Counter(
        (str(m["To"]), str(m["Subject"]))
        for m in box.messages
        if customer in str(m["Subject"]) or str(m["To"]) == f"owner@{customer}.example"
    )


def go_silent(hub: HubProcess, customer: str) -> None:
    prefs = {
        "customer_id": customer,
        "email": f"owner@{customer}.example",
        "enabled_events": EVENTS,
    }
    with httpx.Client(base_url=hub.url, headers=AUTH, timeout=10) as http:
        assert http.post("/api/v1/preferences", json=prefs).status_code == 200
        assert http.post("/api/v1/report", json=report_body(customer)).status_code == 201


def assert_once_each(box: Mailbox, hubs: list[HubProcess], customer: str) -> None:
    """Both events and the four mails (operator and customer, stale and down), once each —
    checked again after several more ticks of every replica."""
    wait_for(lambda: sum(mails(box, customer).values()) >= 4, timeout=90)
    time.sleep(5)  # five more ticks of each replica's staleness checker, two of the dispatcher
    for hub in hubs:
        assert event_counts(hub, customer) == Counter(EVENTS)
    sent = mails(box, customer)
    assert len(sent) == 4 and set(sent.values()) == {1}, sent


def skipped_ticks(hub: HubProcess, job: str) -> float:
    text = httpx.get(f"{hub.url}/metrics", timeout=10).text
    pattern = rf'felhom_hub_job_runs_total{{job="{job}",outcome="skipped"}} (\S+)'
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0


def login_cookie(hub: HubProcess) -> str:
    with httpx.Client(base_url=hub.url, timeout=10) as web:
        token = _CSRF.search(web.get("/login").text)
        assert token
        answer = web.post("/login", data={"csrf": token.group(1), "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        cookie = web.cookies.get(COOKIE)
    assert cookie
    return cookie


@pytest.mark.parametrize(("engine", "replicas"), [("postgresql", 3), ("sqlite", 2)])
def test_replicas_run_each_job_once_and_survive_a_killed_holder(
    engine: str, replicas: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    hubs: list[HubProcess] = []
    with smtp_server() as (box, smtp_port), shared_database(engine, tmp_path, request) as shared:
        env, observer, data_dir = shared
        try:
            for number in range(replicas):
                hubs.append(start_hub(data_dir(number), sections=sections(smtp_port), env=env))
                if number == 0:  # the first takes every lease: the one to kill later
                    wait_for(lambda: holds_all(observer, hubs[0]), timeout=20)
            by_pid = {hub.process.pid: hub for hub in hubs}

            cookie = login_cookie(hubs[0])
            for hub in hubs:
                page = httpx.get(f"{hub.url}/", cookies={COOKIE: cookie}, timeout=10)
                assert page.status_code == 200 and "<h1>Fleet</h1>" in page.text, hub.url

            go_silent(hubs[-1], "acme")  # reported through a replica that holds no lease
            assert_once_each(box, hubs, "acme")
            for hub in hubs[1:]:  # they ticked all along, and left the job to the holder
                assert skipped_ticks(hub, "staleness") >= 10
                assert skipped_ticks(hub, "dispatch") >= 3

            holder = by_pid[lease_pids(observer)["staleness"]]
            holder.kill()
            killed_at = time.monotonic()
            survivors = [hub for hub in hubs if hub is not holder]
            alive = {hub.process.pid for hub in survivors}

            def taken_over() -> bool:
                held = lease_pids(observer)
                return held["staleness"] in alive and held["dispatch"] in alive

            wait_for(taken_over, timeout=FLOOR.total_seconds() + 15)
            # Not before the dead holder's lease expired, and soon after it did.
            assert FLOOR.total_seconds() - 2 <= time.monotonic() - killed_at
            go_silent(survivors[0], "globex")
            assert_once_each(box, survivors, "globex")
            assert sum(mails(box, "acme").values()) == 4  # nothing about acme was sent again
        finally:
            for hub in hubs:
                hub.stop()
        # The survivors released theirs on a clean stop; only the killed one's may be left
        # (backup-deadlines: a three-minute lease nobody needed to take over yet).
        assert set(lease_pids(observer).values()) <= {holder.process.pid}
