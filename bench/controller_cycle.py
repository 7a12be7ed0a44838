"""felhom-controller: CPU time and peak RSS of one collection cycle with 50 running containers.

Starts podman's Engine API (felhom_controller.testing.podman) with --containers busybox
containers, then runs the controller's collection (system, storage, SMART, containers through
the Engine API, health, events; no sending) --cycles times in a fresh child process, which
prints its own CPU time per cycle (user + system of that process only, so the engine's time
is excluded) and its peak RSS.

    uv run python bench/controller_cycle.py [--containers 50] [--cycles 20] [--python PY]

--python runs the measured child with another interpreter, e.g. a virtualenv holding only
felhom-controller and its dependencies (the workspace's .venv has extras that httpx imports).
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def child(socket: str, cycles: int, state: str) -> None:
    from felhom_controller.config import Settings
    from felhom_controller.cycle import Controller

    settings = Settings.model_validate(
        {"engine": {"socket": socket, "timeout_seconds": 30}, "state_dir": state}
    )
    controller = Controller(settings)
    cpu, wall, containers = [], [], 0
    for _ in range(cycles):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        report, _, _ = controller.evaluate(datetime.now(UTC))
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
        containers = len(report["containers"])
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"cpu": cpu, "wall": wall, "containers": containers, "peak_kib": peak_kib}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--python", default=sys.executable, help="interpreter of the agent")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the cycles")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.profile:
            import cProfile
            import pstats

            with cProfile.Profile() as profile:
                child(args.child[0], args.cycles, args.child[1])
            pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        else:
            child(args.child[0], args.cycles, args.child[1])
        return
    from felhom_controller.testing.podman import Podman

    with tempfile.TemporaryDirectory(prefix="ctl-bench-") as tmp:
        podman = Podman(Path(tmp) / "podman")
        podman.start()
        try:
            for n in range(args.containers):
                podman.run(f"bench-{n:03d}")
            command = [args.python, __file__, "--cycles", str(args.cycles)]
            command += ["--profile"] if args.profile else []
            command += ["--child", str(podman.socket), str(Path(tmp) / "state")]
            done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
        finally:
            podman.stop()
    if args.profile:
        print(done.stderr)
    show(json.loads(done.stdout), args.cycles)


def show(result: dict[str, Any], cycles: int) -> None:
    cpu = sorted(result["cpu"][1:])  # the first cycle includes imports warming up
    print(f"containers: {result['containers']}, cycles: {cycles} (first one not counted)")
    print(f"CPU per cycle (controller only): median {statistics.median(cpu) * 1000:.1f} ms,")
    print(f"  max {cpu[-1] * 1000:.1f} ms; first cycle {result['cpu'][0] * 1000:.1f} ms")
    wall = statistics.median(result["wall"]) * 1000
    print(f"wall per cycle (incl. engine): median {wall:.0f} ms")
    print(f"peak RSS: {result['peak_kib'] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
