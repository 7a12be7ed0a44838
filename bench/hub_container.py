"""felhom-hub in its container under the ingest benchmark: memory against the 256Mi limit.

Builds (or reuses) the felhom-hub image on the mmdebstrap base with deploy/'s own podman,
starts it read-only with the Deployment's memory limit (--memory 256m), runs hub_ingest.py's
closed and open loops against its published loopback port while sampling the hub process's
RSS from /proc, then prints the peak RSS (VmHWM), the cgroup's peak usage where the kernel
reports it, and the image sizes.

    uv run python bench/hub_container.py [--count 20000] [--concurrency 32] [--rate 500]
"""

import argparse
import asyncio
import secrets
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # deploy/ of this checkout

from hub_ingest import KEY, closed_loop, ms, open_loop, report, request_bytes

from deploy import base
from deploy.images import (
    BuildOptions,
    Engine,
    Service,
    build_command,
    default_ca_bundle,
)
from deploy.podman import LABEL, READ_ONLY, Podman, wait_http
from felhom_hub.secrets import hash_password

IMAGE = "localhost/metalfleet-bench/felhom-hub:bench"
LIMIT = "256m"


def build(podman: Podman) -> None:
    options = BuildOptions(base=base.ensure_base(podman.prefix), ca_bundle=default_ca_bundle())
    command = build_command(Engine.PODMAN, Service.HUB, IMAGE, options, prefix=podman.prefix)
    podman(*command[len(podman.prefix) :], timeout=900)


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def sample_rss(pid: int, stop: threading.Event, into: list[int]) -> None:
    while not stop.wait(0.2):
        try:
            into.append(status_kib(pid, "VmRSS"))
        except (OSError, KeyError):
            return


def cgroup_memory(pid: int) -> tuple[int, int] | None:
    """The memory cgroup's (peak usage, limit) in bytes: cgroup v1's memory controller, else
    v2's memory.peak and memory.max; None where neither is readable."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        v1 = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
        v2 = Path("/sys/fs/cgroup") / path.lstrip("/")
        if "memory" in controllers.split(",") and (v1 / "memory.max_usage_in_bytes").exists():
            peak, limit = v1 / "memory.max_usage_in_bytes", v1 / "memory.limit_in_bytes"
        elif controllers == "" and (v2 / "memory.peak").exists():
            peak, limit = v2 / "memory.peak", v2 / "memory.max"
        else:
            continue
        return int(peak.read_text()), int(limit.read_text().replace("max", "-1"))
    return None


def start(podman: Podman, config: Path, volume: str, port: int) -> str:
    name = f"bench-hub-{secrets.token_hex(4)}"
    podman.run_detached(
        name,
        *READ_ONLY,
        "--memory",
        LIMIT,
        "-p",
        f"127.0.0.1:{port}:8080",
        "-v",
        f"{config}:/etc/felhom-hub/hub.yaml:ro",
        "-e",
        "FELHOM_HUB_CONFIG=/etc/felhom-hub/hub.yaml",
        "-v",
        f"{volume}:/data",
        image=IMAGE,
    )
    deadline = time.monotonic() + 60
    while wait_http(f"http://127.0.0.1:{port}/healthz").status_code != 200:
        if time.monotonic() > deadline:
            raise SystemExit(podman.logs(name))
        time.sleep(0.2)
    return name


@dataclass
class Run:
    elapsed: float
    latencies: list[float]
    paced: list[float]
    idle_kib: int
    samples_kib: list[int]
    peak_kib: int
    cgroup: tuple[int, int] | None


def write_config(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    config = folder / "hub.yaml"
    config.write_text(
        f'api:\n  report_api_key: "{KEY}"\n'
        f'auth:\n  password_hash: "{hash_password("a bench password, long enough")}"\n'
    )
    config.chmod(0o644)  # the container's user reads it
    return config


def load(podman: Podman, name: str, port: int, args: argparse.Namespace) -> Run:
    """hub_ingest's loops against the container while its RSS is sampled."""
    requests = [request_bytes(report(i)) for i in range(args.count)]
    pid = podman.pid(name)
    idle = status_kib(pid, "VmRSS")
    samples: list[int] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(pid, stop, samples), daemon=True)
    sampler.start()
    asyncio.run(closed_loop(port, requests[:500], 8))  # warm-up
    elapsed, latencies = asyncio.run(closed_loop(port, requests, args.concurrency))
    offered = requests[: int(args.rate * args.rate_seconds)]
    paced = asyncio.run(open_loop(port, offered, args.rate, args.concurrency))
    stop.set()
    sampler.join(timeout=5)
    peak = status_kib(pid, "VmHWM")
    return Run(elapsed, latencies, paced, idle, samples, peak, cgroup_memory(pid))


def show(run: Run, size: int, args: argparse.Namespace) -> None:
    lat, paced = run.latencies, run.paced
    print(f"image {IMAGE}: {size / 1e6:.0f} MB; container memory limit {LIMIT}")
    print(
        f"hub in the container, {args.concurrency} connections: {args.count / run.elapsed:,.0f} "
        f"reports/s, p50 {ms(lat, 0.5):.1f} ms, p99 {ms(lat, 0.99):.1f} ms"
    )
    print(
        f"at {args.rate:.0f} reports/s offered for {args.rate_seconds:.0f} s: "
        f"p50 {ms(paced, 0.5):.1f} ms, p99 {ms(paced, 0.99):.1f} ms"
    )
    print(
        f"hub RSS: idle {run.idle_kib / 1024:.0f} MiB, under load median "
        f"{statistics.median(run.samples_kib) / 1024:.0f} MiB, peak (VmHWM) "
        f"{run.peak_kib / 1024:.0f} MiB = {run.peak_kib / 1024 / 256:.0%} of 256 MiB"
    )
    if run.cgroup is not None:
        print(
            f"container memory cgroup: peak {run.cgroup[0] / 2**20:.0f} MiB (what it charged, "
            f"page cache included), limit {run.cgroup[1] / 2**20:.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    args = parser.parse_args()

    podman = Podman()
    podman.prepare()
    build(podman)
    size = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE))
    config = write_config(podman.root / "bench")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    volume = f"bench-hub-{secrets.token_hex(4)}"
    podman("volume", "create", "--label", LABEL, volume)
    name = start(podman, config, volume, port)
    try:
        run = load(podman, name, port, args)
    finally:
        podman.remove(name)
        podman("volume", "rm", "--force", volume, check=False)
    show(run, size, args)


if __name__ == "__main__":
    main()
