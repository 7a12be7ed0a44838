"""beskar7 enrollment benchmark: N PhysicalHosts against one sushy-tools emulator.

Measures, in one run:
- the floor: the emulator alone answering the Redfish calls one enrollment makes (connect,
  system facts, network interfaces), for every host, sequentially and with C in parallel;
- the manager (`beskar7 manager` in a child process on a fresh embedded store): time from start
  until every host is Available, reconciles per second (from its /metrics), its CPU seconds and
  peak memory.

    uv run python bench/beskar7_enroll.py [--hosts 500] [--concurrency 10]
"""

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from beskar7.api.kinds import PHYSICAL_HOST
from beskar7.api.validation import validate
from beskar7.redfish import Credentials, RedfishClient
from beskar7.store.embedded.store import EmbeddedStore
from beskar7_testing.emulator import SushyEmulator, fake_systems, free_port

USER, PASSWORD = "bench", "bench-password"
TICKS = os.sysconf("SC_CLK_TCK")


async def one_enrollment_calls(address: str, timeout: float = 30.0) -> None:
    client = await RedfishClient.connect(address, Credentials(USER, PASSWORD), timeout=timeout)
    try:
        await client.system_info()
        await client.network_addresses()
    finally:
        await client.close()


async def floor(emulator: SushyEmulator, hosts: int, concurrency: int) -> tuple[float, float]:
    """Seconds for the emulator to answer every host's calls: sequentially, then in parallel."""
    addresses = [emulator.system_address(i) for i in range(hosts)]
    started = time.perf_counter()
    for address in addresses:
        await one_enrollment_calls(address)
    sequential = time.perf_counter() - started
    gate = asyncio.Semaphore(concurrency)

    async def gated(address: str) -> None:
        async with gate:
            await one_enrollment_calls(address)

    started = time.perf_counter()
    await asyncio.gather(*(gated(a) for a in addresses))
    return sequential, time.perf_counter() - started


async def enroll_objects(store_path: Path, emulator: SushyEmulator, hosts: int) -> None:
    store = EmbeddedStore(store_path, validate=validate)
    try:
        await store.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "bmc", "namespace": "default"},
                "stringData": {"username": USER, "password": PASSWORD},
            }
        )
        for i in range(hosts):
            await store.create(
                {
                    "apiVersion": PHYSICAL_HOST.api_version,
                    "kind": PHYSICAL_HOST.kind,
                    "metadata": {"name": f"host-{i:04d}", "namespace": "default"},
                    "spec": {
                        "redfishConnection": {
                            "address": emulator.system_address(i),
                            "credentialsSecretRef": "bmc",
                        }
                    },
                }
            )
    finally:
        await store.close()


async def count_available(store_path: Path) -> int:
    store = EmbeddedStore(store_path)
    try:
        items = (await store.list(PHYSICAL_HOST, "default")).items
    finally:
        await store.close()
    return sum(1 for h in items if h.get("status", {}).get("state") == "Available")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def peak_rss_mb(pid: int) -> float:
    match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def reconciles(metrics_port: int) -> float:
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    pattern = (
        r'^beskar7_controller_reconciliation_total\{[^}]*controller="physicalhost"[^}]*\} (\S+)'
    )
    return sum(float(v) for v in re.findall(pattern, text, re.M))


def run_manager(store_path: Path, hosts: int, concurrency: int) -> dict[str, float]:
    metrics_port = free_port()
    command = [
        sys.executable, "-m", "beskar7.cli", "manager", "--store", str(store_path),
        f"--concurrency={concurrency}", "--leader-elect=false",
        f"--metrics-bind-address=127.0.0.1:{metrics_port}", "--health-probe-bind-address=0",
        "--inspection-bind-address=0",
    ]  # fmt: skip
    log = (store_path.parent / "manager.log").open("wb")
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = started + 900
        while time.perf_counter() < deadline:
            if asyncio.run(count_available(store_path)) == hosts:
                break
            if proc.poll() is not None:
                raise SystemExit(f"manager exited; see {store_path.parent / 'manager.log'}")
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        figures = {
            "seconds": elapsed,
            "reconciles": reconciles(metrics_port),
            "cpu": cpu_seconds(proc.pid),
            "rss_mb": peak_rss_mb(proc.pid),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="beskar7-bench-") as tmp:
        work = Path(tmp)
        systems = fake_systems(args.hosts)
        with SushyEmulator(
            work / "emulator", systems=systems, username=USER, password=PASSWORD
        ) as emulator:
            sequential, parallel = asyncio.run(floor(emulator, args.hosts, args.concurrency))
            store_path = work / "beskar7.db"
            asyncio.run(enroll_objects(store_path, emulator, args.hosts))
            assert emulator.pid is not None
            emulator_cpu_before = cpu_seconds(emulator.pid)
            m = run_manager(store_path, args.hosts, args.concurrency)
            emulator_cpu = cpu_seconds(emulator.pid) - emulator_cpu_before
    n, c, secs = args.hosts, args.concurrency, m["seconds"]
    print(f"hosts={n} concurrency={c} (python {sys.version.split()[0]}, {os.cpu_count()} cpus)")
    print(f"floor, emulator alone, sequential: {sequential:7.2f} s ({n / sequential:6.1f} hosts/s)")
    print(f"floor, emulator alone, {c} parallel: {parallel:7.2f} s ({n / parallel:6.1f} hosts/s)")
    print(f"manager, until all Available:      {secs:7.2f} s ({n / secs:6.1f} hosts/s)")
    print(f"manager / parallel floor:          {secs / parallel:7.2f}x")
    print(f"reconciles: {m['reconciles']:.0f} ({m['reconciles'] / secs:.1f}/s)")
    print(f"manager CPU {m['cpu']:.1f} s, peak RSS {m['rss_mb']:.0f} MB")
    print(f"emulator CPU during the manager run: {emulator_cpu:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
