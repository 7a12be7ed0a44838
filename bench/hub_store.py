"""felhom-hub store benchmark: database size for a 90-day fleet, read latency, free event loop, RSS.

Fills a hub database in-process through the store API with an injected clock (the steady state
of a fleet reporting every 15 minutes, see ``fill``), prunes it, measures it, then starts the
real hub (``felhom-hub serve``) on it and measures over loopback from a light asyncio client:
the fleet list and history at 10,000 customers, ``/healthz`` while the list is polled and while
a prune drains a backlog, ingest against raw SQLite, and peak RSS under hostile clients.

    uv run python bench/hub_store.py [--nodes 1000] [--days 90] [--customers 10000]
"""

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hub_ingest import KEY, closed_loop, ms, raw_sqlite_rate, report, request_bytes

from felhom_hub.api.report_schema import Report
from felhom_hub.config import RetentionSettings
from felhom_hub.jobs.prune import prune
from felhom_hub.samples import sample_of
from felhom_hub.store import Database, reports, series
from felhom_hub.strictjson import dumps as canonical

RETENTION = RetentionSettings()
STEP = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "1d": timedelta(days=1)}
PRUNE_CHILD = """
import sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from felhom_hub.config import RetentionSettings
from felhom_hub.jobs.prune import prune
from felhom_hub.store import Database
db = Database(Path(sys.argv[1]))
began = time.perf_counter()
now = datetime.now(UTC) + timedelta(days=float(sys.argv[2]))
result = prune(db, now=now, retention=RetentionSettings())
db.dispose()
print(result.reports, result.series, f"{time.perf_counter() - began:.1f}")
"""


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------- filling through the store


class Node:
    """One controller: a ~3 KB report (hub_ingest's) whose figures drift from report to report."""

    def __init__(self, index: int, rng: random.Random, start: datetime) -> None:
        self.body: dict[str, Any] = json.loads(report(index))
        self.id = self.body["customer_id"] = f"node-{index:05d}"
        self.body["hostname"] = f"host-{index:05d}.example"
        self.boot = start - timedelta(seconds=rng.randrange(86400 * 200))
        self.used = [rng.randrange(1 << 40, 3 << 40) for _ in self.body["storage"]]
        self.rng, self.start = rng, start

    def at(self, when: datetime) -> dict[str, Any]:
        rng, system, body = self.rng, self.body["system"], self.body
        system["cpu_percent"] = round(rng.uniform(1, 95), 1)
        system["load_average"] = [round(rng.uniform(0, 4), 2) for _ in range(3)]
        system["memory_used_bytes"] = rng.randrange(1 << 30, 7 << 30)
        system["uptime_seconds"] = int((when - self.boot).total_seconds())
        days = (when - self.start).total_seconds() / 86400
        for fs, used in zip(body["storage"], self.used, strict=True):
            fs["used_bytes"] = used + int(days * (2 << 30)) + rng.randrange(1 << 24)
        body["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        backup = when.replace(hour=3, minute=0, second=0, microsecond=0).isoformat()
        for run in body["backups"]:
            run["last_success_at"] = backup.replace("+00:00", "Z")
        return body


def store(conn: Any, obj: dict[str, Any], at: datetime, *, raw: bool) -> None:
    """What the ingest handler stores for one report (``raw``: also the whole report)."""
    parsed = Report.model_validate(obj)
    if raw:
        summary = reports.ReportSummary(
            customer_id=parsed.customer_id,
            report_id=0,
            received_at=at,
            controller_version=parsed.controller_version,
            health=parsed.health.value,
            hostname=parsed.hostname,
            controller_url=str(parsed.controller_url) if parsed.controller_url else None,
            monitoring_paused=parsed.monitoring_paused,
        )
        reports.add(conn, summary, canonical(obj))
    sample = sample_of(parsed, now=at)
    series.add(conn, customer_id=parsed.customer_id, at=at, sample=sample)


def timeline(now: datetime, days: int) -> Iterator[tuple[str, datetime]]:
    """(tier, time) oldest first: one per day beyond hourly_days, hourly beyond raw_days, then
    every 15 minutes."""
    at = now - timedelta(days=days)
    for _ in range(days * 96 + 1):
        age = now - at
        tier = "1d" if age > timedelta(days=RETENTION.hourly_days) else "1h"
        tier = "15m" if age <= timedelta(days=RETENTION.raw_days) else tier
        yield tier, at
        at += STEP[tier]
        if at > now:
            return


def fill(db: Database, nodes: list[Node], now: datetime, days: int) -> dict[str, int]:
    """The fleet's steady state: whole reports (and samples) for the last raw_days, samples only
    before that — raw reports older than raw_days are pruned anyway, and a bucket holds one row
    whatever number of reports fed it."""
    counts, began, day = {"15m": 0, "1h": 0, "1d": 0}, time.perf_counter(), None
    for tier, at in timeline(now, days):
        if at.date() != day and (now - at).days % 10 == 0:
            day = at.date()
            print(f"  filling {day} {counts} {time.perf_counter() - began:.0f} s", flush=True)
        with db.write() as conn:
            for i, node in enumerate(nodes):
                when = at + STEP[tier] * i / len(nodes)  # spread over the interval
                if when <= now:
                    store(conn, node.at(when), when, raw=tier == "15m")
                    counts[tier] += 1
    return counts


def more_customers(db: Database, total: int, start: int, now: datetime) -> None:
    """Customers up to ``total``, each with one recent report."""
    rng = random.Random(2)
    batch = 500
    for first in range(start, total, batch):
        with db.write() as conn:
            for index in range(first, min(total, first + batch)):
                node = Node(index, rng, now - timedelta(days=100))
                when = now - timedelta(seconds=rng.randrange(900))
                store(conn, node.at(when), when, raw=True)


def sizes(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page
        try:
            rows = conn.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).fetchall()
        except sqlite3.OperationalError:
            rows = []
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("raw_reports", "report_dicts", "metric_series", "fleet")
        }
        tiers = conn.execute("SELECT resolution, count(*) FROM metric_series GROUP BY 1").fetchall()
    total = sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )
    print(
        f"file (db + wal after checkpoint): {total / 1e6:,.1f} MB, free pages {free / 1e6:,.1f} MB"
    )
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print("series rows by bucket width (s): " + ", ".join(f"{w}: {n:,}" for w, n in tiers))
    for name, size in rows[:12]:
        print(f"  {name:40s} {size / 1e6:9,.1f} MB")


# ---------------------------------------------------------------- the hub and a light client


def start_hub(folder: Path, body_timeout: str) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = folder / "hub.yaml"
    config.write_text(
        f'api:\n  report_api_key: "{KEY}"\n'
        f'server:\n  listen: "127.0.0.1:{port}"\n  data_dir: "{folder}"\n'
        f'  body_timeout: "{body_timeout}"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FELHOM_HUB_")}
    command = [sys.executable, "-m", "felhom_hub.cli", "serve", "--config", str(config)]
    log = (folder / "hub.log").open("ab")
    process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("hub did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def rss(pid: int) -> str:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    mib = {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}
    return f"RSS {mib['VmRSS']:.0f} MiB, peak (VmHWM) {mib['VmHWM']:.0f} MiB"


def get_request(path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n\r\n"
    ).encode()


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
) -> tuple[int, bytes]:
    writer.write(data)
    status_line = await asyncio.wait_for(reader.readline(), 60)
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return int(status_line.split()[1]), await reader.readexactly(length)


async def timed(port: int, path: str, count: int, pause: float = 0.0) -> tuple[list[float], int]:
    """``count`` sequential GETs on one keep-alive connection: latencies and the last body size."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    latencies, size, data = [], 0, get_request(path)
    for _ in range(count):
        began = time.perf_counter()
        status, body = await exchange(reader, writer, data)
        latencies.append(time.perf_counter() - began)
        if status != 200:
            raise SystemExit(f"GET {path}: {status} {body[:200]!r}")
        size = len(body)
        await asyncio.sleep(pause)
    writer.close()
    return latencies, size


def show(label: str, latencies: list[float], extra: str = "") -> None:
    print(
        f"{label:44s} p50 {ms(latencies, 0.5):7.1f} ms  p99 {ms(latencies, 0.99):7.1f} ms"
        f"  ({len(latencies)} calls{extra})"
    )


# ---------------------------------------------------------------- the phases against the hub


def pollers(port: int, path: str, connections: int, stop_at: float, done: Any) -> None:
    """Child process: GET ``path`` on N connections, each call after the last, until ``stop_at``."""

    async def poll() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        calls, data = 0, get_request(path)
        while time.time() < stop_at:
            await exchange(reader, writer, data)
            calls += 1
        writer.close()
        return calls

    async def run() -> int:
        return sum(await asyncio.gather(*(poll() for _ in range(connections))))

    done.put(asyncio.run(run()))


def reads(port: int, calls: int, customer: str) -> None:
    history = f"/api/v1/customers/{customer}/history"
    for label, path in (
        ("GET /customers (page of 100)", "/api/v1/customers"),
        ("GET /customers?limit=1000", "/api/v1/customers?limit=1000"),
        ("GET history?period=90d (auto -> 1d)", f"{history}?period=90d"),
        ("GET history?period=30d (auto -> 1h)", f"{history}?period=30d"),
        ("GET history?period=7d (auto -> 15m)", f"{history}?period=7d"),
    ):
        asyncio.run(timed(port, path, 10))  # warm-up
        latencies, size = asyncio.run(timed(port, path, calls))
        show(label, latencies, f", {size:,} bytes")


def healthz_while_polled(port: int, probes: int, connections: int, path: str) -> None:
    context = multiprocessing.get_context("spawn")
    done = context.Queue()
    seconds = 3 + probes * 0.03
    stop_at = time.time() + seconds
    child = context.Process(target=pollers, args=(port, path, connections, stop_at, done))
    child.start()
    try:
        time.sleep(2)
        latencies, _ = asyncio.run(timed(port, "/healthz", probes, 0.02))
        polls = done.get(timeout=seconds + 60)
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
    show(f"/healthz, {connections} clients polling {path.removeprefix('/api/v1')}", latencies)
    print(f"  (the pollers made {polls:,} list calls in {seconds:.0f} s)")


def healthz_while_pruning(port: int, database: Path, shift_days: float, bound: float) -> None:
    command = [sys.executable, "-c", PRUNE_CHILD, str(database), str(shift_days)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    latencies: list[float] = []
    deadline = time.time() + bound
    try:
        while child.poll() is None and time.time() < deadline:
            found, _ = asyncio.run(timed(port, "/healthz", 20, 0.02))
            latencies += found
        out, _ = child.communicate(timeout=bound)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    show(f"/healthz while prune drains ({shift_days:.0f} days ahead)", latencies)
    deleted_reports, deleted_series, seconds = out.split()
    print(
        f"  (prune in another process deleted {int(deleted_reports):,} raw reports and "
        f"{int(deleted_series):,} series rows in {seconds} s)"
    )


def ingest(port: int, count: int, folder: Path) -> None:
    payloads = [report(i) for i in range(count)]
    requests = [request_bytes(p) for p in payloads]
    asyncio.run(closed_loop(port, requests[:300], 8))  # warm-up
    elapsed, latencies = asyncio.run(closed_loop(port, requests, 32))
    folder.mkdir()
    raw = raw_sqlite_rate(payloads, folder)
    rate = count / elapsed
    show(f"ingest, 32 connections: {rate:,.0f} reports/s", latencies)
    print(f"raw SQLite single-row WAL inserts: {raw:,.0f} rows/s; hub / raw: {rate / raw:.3f}")


async def stalled(port: int, count: int, authed: bool, hold: float) -> dict[str, int]:
    """``count`` uploads announcing 1,000,000 bytes that stop after 900,000; the answers seen."""
    auth = f"Authorization: Bearer {KEY}\r\n" if authed else ""
    head = (
        "POST /api/v1/report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{auth}Content-Length: 1000000\r\n\r\n"
    ).encode()
    part = head + b'{"customer_id": "' + b"x" * 900_000

    async def one() -> str:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return "refused"
        writer.write(part)
        try:
            line = await asyncio.wait_for(reader.readline(), hold)
            return line.split()[1].decode() if line else "closed"
        except (TimeoutError, OSError, IndexError):
            return "no answer"
        finally:
            writer.close()

    answers: dict[str, int] = {}
    for answer in await asyncio.gather(*(one() for _ in range(count))):
        answers[answer] = answers.get(answer, 0) + 1
    return answers


async def big_reports(port: int, count: int, pid: int) -> None:
    """Reports with a ~900 KB ``system`` extra field, then history and raw-report reads."""
    body = json.loads(report(0))
    body["customer_id"] = "big-00000"
    body["system"]["blob"] = base64.b64encode(os.urandom(675_000)).decode()
    data = request_bytes(json.dumps(body).encode())
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    statuses = [(await exchange(reader, writer, data))[0] for _ in range(count)]
    counted = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"  {count} reports of ~900 KB {counted}: {rss(pid)}")
    base = "/api/v1/customers/big-00000"
    for path in ("/history?period=7d&resolution=15m", "/history?period=90d", "/reports?limit=100"):
        status, body = await exchange(reader, writer, get_request(base + path))
        print(f"  then GET {path}: {status}, {len(body):,} bytes: {rss(pid)}")
    writer.close()


def hostile(folder: Path, args: argparse.Namespace) -> None:
    """Each case against a fresh hub process, so each peak is its own."""
    timeout = float(args.body_timeout.rstrip("s"))
    for case in ("unauthenticated", "authenticated", "big"):
        hub, port = start_hub(folder, args.body_timeout)
        try:
            print(f"{case}: fresh hub process, {rss(hub.pid)}")
            if case == "big":
                asyncio.run(big_reports(port, args.big_reports, hub.pid))
                continue
            answers = asyncio.run(stalled(port, args.stalls, case == "authenticated", timeout + 3))
            print(f"  {args.stalls} stalled 1 MB uploads, answers {answers}: {rss(hub.pid)}")
        finally:
            stop(hub)


def against_hub(folder: Path, args: argparse.Namespace) -> None:
    hub, port = start_hub(folder, args.body_timeout)
    try:
        print(f"hub started on the filled database: {rss(hub.pid)}; {load()}")
        reads(port, args.calls, "node-00000")
        for path in ("/api/v1/customers", "/api/v1/customers?limit=1000"):
            healthz_while_polled(port, args.probes, args.pollers, path)
        print(load())
        ingest(port, args.ingest, folder / "raw")
        healthz_while_pruning(port, folder / "hub.db", args.prune_shift_days, 1800)
        print(f"hub after reads, polling, ingest and prune: {rss(hub.pid)}; {load()}")
    finally:
        stop(hub)


def build(path: Path, args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    db = Database(path)
    db.migrate()
    rng = random.Random(1)
    nodes = [Node(i, rng, now - timedelta(days=args.days)) for i in range(args.nodes)]
    began = time.perf_counter()
    counts = fill(db, nodes, now, args.days)
    took = time.perf_counter() - began
    print(f"filled {sum(counts.values()):,} reports {counts} in {took:.0f} s; {load()}")
    began = time.perf_counter()
    pruned = prune(db, now=now, retention=RETENTION)
    took = time.perf_counter() - began
    print(f"prune at the fill's end: {pruned.series:,} series rows deleted in {took:.1f} s")
    db.dispose()
    sizes(path)
    db = Database(path)
    more_customers(db, args.customers, args.nodes, now)
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000, help="nodes filled for 90 days")
    parser.add_argument("--days", type=int, default=RETENTION.max_days)
    parser.add_argument("--customers", type=int, default=10_000, help="fleet size for reads")
    parser.add_argument("--calls", type=int, default=300, help="calls per read measured")
    parser.add_argument("--probes", type=int, default=300, help="/healthz calls while polled")
    parser.add_argument("--pollers", type=int, default=4)
    parser.add_argument("--ingest", type=int, default=5000, help="reports in the closed loop")
    parser.add_argument("--prune-shift-days", type=float, default=30.0)
    parser.add_argument("--stalls", type=int, default=250, help="stalled uploads per case")
    parser.add_argument("--big-reports", type=int, default=60)
    parser.add_argument("--body-timeout", default="5s", help="server.body_timeout (seconds)")
    args = parser.parse_args()
    print(
        f"nodes {args.nodes} x 96 reports/day x {args.days} days; {os.cpu_count()} cpus; {load()}"
    )
    with tempfile.TemporaryDirectory(prefix="hub-store-") as tmp:
        folder = Path(tmp)
        build(folder / "hub.db", args)
        print(f"fleet grown to {args.customers:,} customers (one recent report each)")
        against_hub(folder, args)
        hostile(folder, args)


if __name__ == "__main__":
    main()
