"""felhom-hub on PostgreSQL: ingest with one and two hub processes, and the fleet page at 100,000
customers, each beside SQLite in the same run.

Starts a PostgreSQL 15 server for the run (felhom-hub/tests/pg_server.py's, with fsync and
full-page writes on and synchronous commits, as in production; the tests' server runs without
fsync), then:

1. ingest: hub_ingest's load (a closed loop of ~3 KB reports on 32 connections, then 500 reports/s
   offered for 10 s) against the hub on SQLite, the hub on PostgreSQL, and two hub processes on
   one PostgreSQL database with the connections alternating between their ports; reports/s and
   latency, ratios to SQLite, and CPU seconds per report of the hubs and of PostgreSQL (/proc).
2. fleet: a database of ``--customers`` customers (hub_dashboard's report mix, each stored as the
   ingest handler stores it with hub_store.store, a tenth with events), ANALYZE on PostgreSQL,
   then the hub started on it and the fleet page and the customer list API timed over loopback.

    uv run python bench/hub_postgres.py [--count 20000] [--customers 100000] [--calls 300]
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "felhom-hub"))  # tests/pg_server.py

import hub_store
from cryptography.fernet import Fernet
from hub_dashboard import PASSWORD as OPERATOR_PASSWORD
from hub_dashboard import badge_events, body, logged_in, settle
from hub_dashboard import timed as timed_page
from hub_ingest import closed_loop, ms, open_loop, report, request_bytes, start_hub
from hub_store import load, show, stop
from sqlalchemy import event

from felhom_hub.config import AlertingSettings
from felhom_hub.secrets import hash_password
from felhom_hub.storage import parse_url
from felhom_hub.store import Database, dashboard, events
from tests.pg_server import PASSWORD, PostgresServer

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat from field 3 (state) on: [1] is the parent, [11:15] utime, stime, cutime,
    cstime."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu(pid: int) -> float:
    """CPU seconds of a process, its waited-for children and its live children."""
    ticks = sum(int(x) for x in _stat(pid)[11:15])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except OSError:
            continue
        if fields[1] == str(pid):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / TICK


@dataclass
class Postgres:
    server: PostgresServer
    shared: Path  # the replicas' common session key
    fernet: str

    def env(self, database: str) -> dict[str, str]:
        return {
            "FELHOM_HUB_STORAGE_URL": self.server.url(database),
            "FELHOM_HUB_STORAGE_PASSWORD": PASSWORD,
            "FELHOM_HUB_AUTH_SESSION_SECRET_FILE": str(self.shared / "session.key"),
            "FELHOM_HUB_CONFIGS_SECRET_KEYS": self.fernet,
        }

    database: str = ""  # the one being measured

    def use(self, database: str) -> str:
        self.database = database
        return database

    def transactions(self) -> tuple[int, int, int]:
        """Commits, rollbacks and deadlocks so far in the database being measured."""
        found = self.server.psql(
            "SELECT xact_commit, xact_rollback, deadlocks FROM pg_stat_database"
            f" WHERE datname = '{self.database}'"
        )
        commits, rollbacks, deadlocks = map(int, found.split("|"))
        return commits, rollbacks, deadlocks

    def postmaster(self) -> int:
        return int((self.server.data / "postmaster.pid").read_text().split()[0])


# ---------------------------------------------------------------- 1. ingest


@dataclass
class Ingest:
    label: str
    rate: float
    closed: list[float]
    paced: list[float]
    hub_cpu: float  # seconds per report, all hub processes
    pg_cpu: float | None


def measure(
    label: str, hubs: list[tuple[Any, int]], pg: Postgres | None, args: argparse.Namespace
) -> Ingest:
    requests = [request_bytes(report(i)) for i in range(args.count)]
    offered = requests[: int(args.rate * args.rate_seconds)]
    ports = [port for _, port in hubs]
    asyncio.run(closed_loop(ports, requests[:500], 8))  # warm-up
    pids = [process.pid for process, _ in hubs]
    postmaster = pg.postmaster() if pg else None
    hub_before, pg_before = sum(map(cpu, pids)), cpu(postmaster) if postmaster else 0.0
    counted = pg.transactions() if pg else (0, 0, 0)
    elapsed, closed = asyncio.run(closed_loop(ports, requests, args.concurrency))
    hub_cpu = (sum(map(cpu, pids)) - hub_before) / args.count
    pg_cpu = (cpu(postmaster) - pg_before) / args.count if postmaster else None
    paced = asyncio.run(open_loop(ports, offered, args.rate, args.concurrency))
    if pg:
        time.sleep(1.5)  # the servers' statistics reach pg_stat_database within a second
        after = pg.transactions()
        commits, rollbacks, deadlocks = (after[i] - counted[i] for i in range(3))
        print(
            f"  {label}: {commits / (len(requests) + len(offered)):.2f} commits a report"
            f" (all the database's transactions), {rollbacks} rollbacks, {deadlocks} deadlocks"
        )
    return Ingest(label, args.count / elapsed, closed, paced, hub_cpu, pg_cpu)


def ingest(pg: Postgres, tmp: Path, args: argparse.Namespace) -> None:
    found: list[Ingest] = []
    for label, replicas, on_postgres in (
        ("SQLite, 1 hub", 1, False),
        ("PostgreSQL, 1 hub", 1, True),
        ("PostgreSQL, 2 hubs", 2, True),
    ):
        env = pg.env(pg.use(pg.server.new_database())) if on_postgres else None
        hubs: list[tuple[Any, int]] = []
        try:
            for n in range(replicas):
                folder = tmp / f"ingest-{len(found)}-{n}"
                folder.mkdir()
                hubs.append(start_hub(folder, env=env))
            found.append(measure(label, hubs, pg if on_postgres else None, args))
        finally:
            for process, _ in hubs:
                stop(process)
        print(f"  {label}: done; {load()}", flush=True)
    base = found[0]
    print(
        f"ingest: {args.count} reports on {args.concurrency} connections (closed loop), then"
        f" {args.rate:.0f} reports/s offered for {args.rate_seconds:.0f} s (paced)"
    )
    for f in found:
        pg_cpu = "" if f.pg_cpu is None else f", PostgreSQL {f.pg_cpu * 1000:.2f} ms"
        print(
            f"{f.label:20s} {f.rate:6,.0f} reports/s ({f.rate / base.rate:.2f} x SQLite)"
            f"  p50 {ms(f.closed, 0.5):5.1f} ms  p99 {ms(f.closed, 0.99):6.1f} ms"
            f" | paced p50 {ms(f.paced, 0.5):5.1f} ms  p99 {ms(f.paced, 0.99):6.1f} ms"
            f" | CPU per report: hubs {f.hub_cpu * 1000:.2f} ms{pg_cpu}"
        )


# ---------------------------------------------------------------- 2. the fleet page


def fill(db: Database, customers: int, now: datetime) -> None:
    """``customers`` customers with a latest report each (received up to 90 minutes ago, so OK,
    WARN and DOWN mix), a tenth with three events; 1,000 customers a transaction."""
    for first in range(0, customers, 1000):
        with db.write() as conn:
            for n in range(first, min(customers, first + 1000)):
                customer_id = f"c{n:06d}"
                at = now - timedelta(minutes=n % 90)
                hub_store.store(conn, body(customer_id, n), at, raw=True)
                if n % 10 == 0:
                    badge_events(conn, customer_id, now)


def page_view(db: Database, now: datetime) -> None:
    """The store calls of one view of the fleet page's first page (web/pages.py ``overview``)."""
    cutoffs = dashboard.Cutoffs.at(now, AlertingSettings().stale_threshold)
    with db.read() as conn:
        counts = dashboard.counts(conn, cutoffs)
        found = dashboard.page(
            conn,
            cutoffs,
            dashboard.Filter(),
            order=dashboard.Order.STATUS,
            limit=100,
            offset=0,
            counts_=counts,
        )
        ids = [row.customer_id for row, _ in found.rows]
        events.severity_counts(conn, customer_ids=ids, since=now - timedelta(days=1))


def sql_time(db: Database, calls: int) -> None:
    """The page view's SQL in this process, without HTTP and templates."""
    latencies = []
    for _ in range(calls):
        began = time.perf_counter()
        page_view(db, datetime.now(UTC))
        latencies.append(time.perf_counter() - began)
    show("fleet page's SQL, in-process", latencies)


def explain(db: Database) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement of the fleet page view."""
    statements: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        statements.append((args[2], args[3]))

    event.listen(db.engine, "before_cursor_execute", capture)
    page_view(db, datetime.now(UTC))
    event.remove(db.engine, "before_cursor_execute", capture)
    with db.read() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            print(" ".join(statement.split())[:300])
            print("\n".join("    " + row[0] for row in plan))


def pages(port: int, customers: int, calls: int) -> None:
    last = -(-customers // 100)
    client = logged_in(f"http://127.0.0.1:{port}")
    for label, path in (
        ("fleet page (status sort, page 1)", "/"),
        ("fleet, search 'node-3'", "/?q=node-3"),
        ("fleet, status DOWN", "/?status=DOWN"),
        (f"fleet, status sort, page {last}", f"/?page={last}"),
        (f"fleet, age sort, page {last}", f"/?sort=age&page={last}"),
    ):
        p50, p99, size = timed_page(client, path, calls)
        print(f"{label:44s} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({calls} calls, {size:,} bytes)")
    client.close()
    for label, path in (
        ("GET /api/v1/customers (page of 100)", "/api/v1/customers"),
        ("GET /api/v1/customers?limit=1000", "/api/v1/customers?limit=1000"),
        ("GET /api/v1/customers, last page", f"/api/v1/customers?after=c{customers - 101:06d}"),
    ):
        asyncio.run(hub_store.timed(port, path, 10))  # warm-up
        latencies, size = asyncio.run(hub_store.timed(port, path, calls))
        show(label, latencies, f", {size:,} bytes")


def fleet(pg: Postgres, tmp: Path, args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    operator = f'auth:\n  password_hash: "{hash_password(OPERATOR_PASSWORD)}"\n'
    for engine in ("PostgreSQL", "SQLite") if args.sqlite_fleet else ("PostgreSQL",):
        folder = tmp / f"fleet-{engine}"
        folder.mkdir()
        database = pg.server.new_database() if engine == "PostgreSQL" else ""
        env = pg.env(database) if database else None
        url = parse_url(pg.server.url(database)) if database else None
        db = Database(url=url, password=PASSWORD) if url else Database(folder / "hub.db")
        db.migrate()
        began = time.perf_counter()
        fill(db, args.customers, now)
        if database:
            pg.server.psql("ANALYZE", database)
        took = time.perf_counter() - began
        print(f"{engine}: {args.customers:,} customers filled in {took:.0f} s; {load()}")
        if database and args.explain:
            explain(db)
        sql_time(db, min(args.calls, 100))
        db.dispose()
        hub, port = start_hub(folder, sections=operator, env=env)
        try:
            settle(Database(url=url, password=PASSWORD) if url else Database(folder / "hub.db"))
            pages(port, args.customers, args.calls)
        finally:
            stop(hub)
        print(load(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000, help="reports in the closed loop")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=300, help="calls per page measured")
    parser.add_argument("--shared-buffers", default="128MB")
    parser.add_argument("--no-ingest", dest="ingest", action="store_false")
    parser.add_argument("--no-fleet", dest="fleet", action="store_false")
    parser.add_argument("--no-sqlite-fleet", dest="sqlite_fleet", action="store_false")
    parser.add_argument("--explain", action="store_true", help="plans of the fleet page's SQL")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cpus; {load()}")
    server = PostgresServer(durable=True, shared_buffers=args.shared_buffers)
    server.start()
    try:
        version = server.psql("SHOW server_version")
        settings = server.psql(
            "SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings"
            " WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes',"
            " 'shared_buffers', 'wal_level')"
        )
        print(f"PostgreSQL {version}: {settings}")
        with tempfile.TemporaryDirectory(prefix="hub-postgres-") as tmp:
            pg = Postgres(server, Path(tmp), Fernet.generate_key().decode())
            if args.ingest:
                ingest(pg, Path(tmp), args)
            if args.fleet:
                fleet(pg, Path(tmp), args)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
