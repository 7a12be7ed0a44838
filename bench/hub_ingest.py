"""felhom-hub ingest benchmark: reports/s and latency over loopback, against raw SQLite inserts.

Starts the real hub (``felhom-hub serve``) in a child process, pushes ~3 KB reports from a
light asyncio HTTP/1.1 keep-alive client (so the client takes little of the 2 cores), and in
the same run measures single-row WAL inserts of the same rows into a bare SQLite file.

    uv run python bench/hub_ingest.py [--count 20000] [--concurrency 32] [--rate 500]
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

KEY = "bench-global-key-0123456789abcdef"


def report(seq: int) -> bytes:
    """A realistic report of about 3 KB."""
    body = {
        "customer_id": f"customer-{seq % 200:03d}",
        "hostname": f"node-{seq % 200:03d}",
        "controller_version": "0.9.3",
        "controller_url": "http://10.0.0.1:8080",
        "health": "ok",
        "timestamp": "2026-11-22T12:00:00Z",
        "system": {
            "cpu_percent": 12.5,
            "load_average": [0.4, 0.3, 0.2],
            "memory_total_bytes": 8 << 30,
            "memory_used_bytes": 3 << 30,
            "uptime_seconds": 86400 + seq,
            "os": "Debian 12",
            "kernel": "6.1.0-27-amd64",
        },
        "storage": [
            {
                "mount_point": f"/mnt/hdd{i}",
                "device": f"/dev/sd{chr(97 + i)}1",
                "fs_type": "ext4",
                "uuid": f"0b7c5d2e-1f3a-4b6c-9d8e-{i:012d}",
                "total_bytes": 4 << 40,
                "used_bytes": 1 << 40,
                "smart_status": "passed",
            }
            for i in range(4)
        ],
        "containers": [
            {
                "name": f"app-{i}",
                "image": f"registry.example/app-{i}:1.{i}",
                "state": "running",
                "health": "healthy",
                "restart_count": 0,
            }
            for i in range(10)
        ],
        "backups": [
            {
                "kind": "restic",
                "target": f"hdd{i}",
                "status": "ok",
                "last_success_at": "2026-11-22T03:00:00Z",
                "size_bytes": 123456789,
            }
            for i in range(2)
        ],
        "apps": [
            {"name": f"app-{i}", "version": f"1.{i}.0", "status": "running"} for i in range(6)
        ],
    }
    return json.dumps(body).encode()


def request_bytes(body: bytes) -> bytes:
    head = (
        "POST /api/v1/report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def one_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
) -> int:
    writer.write(data)
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return int(status_line.split()[1])


Ports = int | Sequence[int]


def port_of(ports: Ports, index: int) -> int:
    """Connection ``index``'s port: with several hubs, connections alternate between them."""
    return ports if isinstance(ports, int) else ports[index % len(ports)]


async def closed_loop(
    ports: Ports, payloads: list[bytes], concurrency: int
) -> tuple[float, list[float]]:
    """Each connection sends its next report as soon as the previous one is answered."""
    queue = iter(range(len(payloads)))
    latencies: list[float] = []
    errors = 0

    async def connection(number: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(ports, number))
        for index in queue:
            start = time.perf_counter()
            if await one_request(reader, writer, payloads[index]) != 201:
                errors += 1
            latencies.append(time.perf_counter() - start)
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{errors} requests were not answered 201")
    return elapsed, latencies


async def open_loop(
    ports: Ports, payloads: list[bytes], rate: float, connections: int
) -> list[float]:
    """Send at a fixed offered rate; latency counts from the scheduled send time."""
    pool = [
        await asyncio.open_connection("127.0.0.1", port_of(ports, n)) for n in range(connections)
    ]
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for conn in pool:
        free.put_nowait(conn)
    latencies: list[float] = []
    began = time.perf_counter()

    async def send(index: int) -> None:
        scheduled = began + index / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        reader, writer = await free.get()
        status = await one_request(reader, writer, payloads[index])
        latencies.append(time.perf_counter() - scheduled)
        free.put_nowait((reader, writer))
        if status != 201:
            raise SystemExit(f"status {status}")

    await asyncio.gather(*(send(i) for i in range(len(payloads))))
    for _, writer in pool:
        writer.close()
    return latencies


def raw_sqlite_rate(payloads: list[bytes], folder: Path) -> float:
    """Single-row transactions (WAL, synchronous=NORMAL) of the same rows into a bare file."""
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE reports (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id TEXT, "
        "received_at TEXT, controller_version TEXT, health TEXT, hostname TEXT, "
        "controller_url TEXT, monitoring_paused INTEGER, body TEXT)"
    )
    conn.execute("CREATE INDEX r1 ON reports (customer_id, id)")
    conn.execute("CREATE INDEX r2 ON reports (received_at)")
    rows = [json.loads(p) for p in payloads]
    began = time.perf_counter()
    for raw, row in zip(payloads, rows, strict=True):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO reports (customer_id, received_at, controller_version, health, hostname,"
            " controller_url, monitoring_paused, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row["customer_id"],
                time.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                row["controller_version"],
                row["health"],
                row["hostname"],
                row["controller_url"],
                0,
                raw.decode(),
            ),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return len(rows) / elapsed


def start_hub(
    folder: Path, sections: str = "", env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """``sections``: more top-level config sections; ``env``: more FELHOM_HUB_* variables."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = folder / "hub.yaml"
    config.write_text(
        f'api:\n  report_api_key: "{KEY}"\n'
        f'server:\n  listen: "127.0.0.1:{port}"\n  data_dir: "{folder}"\n' + sections
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FELHOM_HUB_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "felhom_hub.cli", "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "hub.log").open("ab"),
        env=clean | (env or {}),
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("hub did not start")


def ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    args = parser.parse_args()

    payloads = [report(i) for i in range(args.count)]
    requests = [request_bytes(p) for p in payloads]
    print(f"report size: {statistics.mean(len(p) for p in payloads):.0f} bytes, count {args.count}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub, port = start_hub(folder)
        try:
            asyncio.run(closed_loop(port, requests[:500], 8))  # warm-up
            elapsed, lat = asyncio.run(closed_loop(port, requests, args.concurrency))
            offered = requests[: int(args.rate * args.rate_seconds)]
            paced = asyncio.run(open_loop(port, offered, args.rate, args.concurrency))
        finally:
            hub.send_signal(signal.SIGTERM)
            hub.wait(timeout=30)
        raw = raw_sqlite_rate(payloads, folder)
    hub_rate = args.count / elapsed
    print(
        f"hub, {args.concurrency} connections: {hub_rate:,.0f} reports/s, "
        f"p50 {ms(lat, 0.5):.1f} ms, p99 {ms(lat, 0.99):.1f} ms"
    )
    print(
        f"hub at {args.rate:.0f} reports/s offered for {args.rate_seconds:.0f} s: "
        f"p50 {ms(paced, 0.5):.1f} ms, p99 {ms(paced, 0.99):.1f} ms"
    )
    print(f"raw SQLite single-row WAL inserts: {raw:,.0f} rows/s")
    print(f"hub / raw SQLite: {hub_rate / raw:.3f}")


if __name__ == "__main__":
    main()
