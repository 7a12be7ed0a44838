"""felhom-hub dashboard: page times at fleet scale, against the real hub.

Seeds a database with ``--customers`` customers (each with a latest report; a tenth with
events in the last day) and one customer with ``--days`` days of reports every 15 minutes,
pruned the way the daily job prunes (15-minute buckets for ``raw_days``, hourly for
``hourly_days``, daily beyond), then starts ``felhom-hub serve`` on loopback, logs in and times
sequential keep-alive GETs of the fleet overview (default, searched, last page) and of the
customer page over 24 h, 7 d, 30 d and 90 d, once the hub has worked through the stale/down
events the seed's old reports cause at its start (``settle``). Times are client-side round
trips on the same machine, so they include the client's share of the two cores.

    uv run python bench/hub_dashboard.py [--customers 10000] [--days 90] [--requests 200]
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Connection

from felhom_hub.api.report_schema import Report
from felhom_hub.config import AlertingSettings, RetentionSettings
from felhom_hub.jobs.prune import prune
from felhom_hub.samples import sample_of
from felhom_hub.secrets import hash_password
from felhom_hub.store import Database, deadman, events, reports, series

PASSWORD = "bench password 0123"
HISTORY_ID = "c00000"


def body(customer_id: str, n: int) -> dict[str, object]:
    return {
        "customer_id": customer_id,
        "hostname": f"{customer_id}-node-{n % 7}",
        "controller_version": f"0.9.{n % 4}",
        "health": ["ok", "ok", "ok", "warn", "fail"][n % 5],
        "system": {
            "cpu_percent": (n * 7) % 100,
            "load_average": [0.5, 0.4, 0.3],
            "memory_used_bytes": (2 + n % 5) << 30,
            "memory_total_bytes": 16 << 30,
        },
        "storage": [
            {"mount_point": "/", "total_bytes": 100 << 30, "used_bytes": (20 + n % 50) << 30},
            {"mount_point": "/data", "total_bytes": 4 << 40, "used_bytes": (1 + n % 3) << 40},
        ],
        "containers": [
            {"name": f"app{i}", "state": "running", "health": "healthy"} for i in range(8)
        ],
        "backups": [{"kind": "restic", "target": "hdd1", "status": "ok"}],
    }


def store(db: Database, customer_id: str, n: int, at: datetime) -> None:
    report = Report.model_validate(body(customer_id, n))
    summary = reports.ReportSummary(
        customer_id,
        0,
        at,
        report.controller_version,
        report.health.value,
        report.hostname,
        None,
        False,
    )
    with db.write() as conn:
        reports.add(conn, summary, json.dumps(body(customer_id, n)).encode())
        series.add(conn, customer_id=customer_id, at=at, sample=sample_of(report, now=at))


def badge_events(conn: Connection, customer_id: str, now: datetime) -> None:
    """An error, a warning and an info event in the last three hours (the fleet page's badges)."""
    for k, severity in enumerate(("error", "warning", "info")):
        events.add(
            conn,
            customer_id=customer_id,
            event_type="backup_failed",
            severity=severity,
            message="seeded",
            details_json="{}",
            source="controller",
            occurred_at=None,
            received_at=now - timedelta(hours=k + 1),
        )


def seed(folder: Path, customers: int, days: int, now: datetime) -> None:
    db = Database(folder / "hub.db")
    db.migrate()
    steps = days * 96
    for step in range(steps):
        store(db, HISTORY_ID, step, now - timedelta(minutes=15 * (steps - step)))
    for n in range(1, customers):
        store(db, f"c{n:05d}", n, now - timedelta(minutes=n % 90))
    with db.write() as conn:
        for n in range(0, customers, 10):
            badge_events(conn, f"c{n:05d}", now)
    prune(db, now=now, retention=RetentionSettings())
    db.dispose()


def start_hub(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = folder / "hub.yaml"
    config.write_text(
        f'auth:\n  password_hash: "{hash_password(PASSWORD)}"\n'
        f'server:\n  listen: "127.0.0.1:{port}"\n  data_dir: "{folder}"\n'
    )
    log = (folder / "hub.log").open("ab")
    command = [sys.executable, "-m", "felhom_hub.cli", "serve", "--config", str(config)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the hub did not start; see " + str(folder / "hub.log"))


def settle(db: Database, limit_s: float = 600) -> None:
    """Wait until the hub's dead man's switch has moved every customer whose deadline passed,
    and the dispatcher has decided on every event that wrote.

    The fill's reports are up to 90 minutes old, so the first sweeps after start-up write tens
    of thousands of node_stale/node_down events, each then decided by the dispatcher; a fleet in
    its steady state has a few at a time. The pages are timed after that, as an operator would
    see them on a normal day.
    """
    began = time.perf_counter()
    threshold = AlertingSettings().stale_threshold
    while time.perf_counter() - began < limit_s:
        with db.read() as conn:
            now = datetime.now(UTC)
            due = deadman.due(conn, now=now, default_threshold=threshold, limit=1)
            if not due and not events.undispatched(conn):
                break
        time.sleep(1)
    with db.read() as conn:
        written = events.count(conn)
    print(f"switch settled in {time.perf_counter() - began:.0f} s ({written:,} events stored)")
    db.dispose()


def logged_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30, follow_redirects=True)
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/login").text)
    assert token, "no login form"
    answer = client.post("/login", data={"csrf": token.group(1), "password": PASSWORD})
    assert answer.status_code == 200 and "<h1>Fleet</h1>" in answer.text, answer.status_code
    return client


def timed(client: httpx.Client, path: str, count: int) -> tuple[float, float, int]:
    """(p50 ms, p99 ms, response bytes) of ``count`` sequential GETs after two warm-ups."""
    for _ in range(2):
        client.get(path)
    times, size = [], 0
    for _ in range(count):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
        size = len(answer.content)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hub-dashboard-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        seed(folder, args.customers, args.days, datetime.now(UTC))
        print(
            f"seeded {args.customers} customers, {args.days} days of history for {HISTORY_ID} "
            f"in {time.perf_counter() - started:.1f} s"
        )
        process, url = start_hub(folder)
        try:
            settle(Database(folder / "hub.db"))
            client = logged_in(url)
            last = -(-(args.customers - 1) // 100)
            pages = {
                "fleet overview (status sort, page 1)": "/",
                "fleet, search 'node-3'": "/?q=node-3",
                f"fleet, age sort, page {last}": f"/?sort=age&page={last}",
                "customers list, page 1": "/configs",
                **{
                    f"customer page, {p}": f"/customers/{HISTORY_ID}?period={p}"
                    for p in ("24h", "7d", "30d", "90d")
                },
            }
            for name, path in pages.items():
                p50, p99, size = timed(client, path, args.requests)
                print(f"{name:40s} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  {size / 1024:7.1f} KiB")
        finally:
            process.terminate()
            process.wait(timeout=15)


if __name__ == "__main__":
    main()
