"""beskar7 provisioning benchmark: N Machines provisioned at once on simulated servers.

One sushy-tools emulator with N systems, N PhysicalHosts (enrolled first, not timed), then N
Cluster API Machines with their Beskar7Machines created together; the simulated servers
network-boot through the callback server and run the real inspector (kexec skipped). Prints the
total time until every Beskar7Machine is Provisioned, the time per phase, the double-claim
check, and the floor the emulator's own power-on delay (1 to 11 s, random) imposes: the slowest
host's delay between beskar7 asking for power and the emulator showing it On.

    uv run python bench/beskar7_provision.py [--machines 200] [--concurrency 10]
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from beskar7.api.kinds import BESKAR7_MACHINE, PHYSICAL_HOST
from beskar7_testing.lab import ProvisioningLab


async def wait_all(lab: ProvisioningLab, kind_phase: str, n: int, timeout: float) -> float:
    started = time.time()
    while time.time() - started < timeout:
        items = (await lab.store.list(BESKAR7_MACHINE, lab.namespace)).items
        if sum(1 for m in items if m.get("status", {}).get("phase") == kind_phase) == n:
            return time.time()
        failed = [
            m["metadata"]["name"] for m in items if m.get("status", {}).get("phase") == "Failed"
        ]
        if failed:
            raise SystemExit(f"machines failed: {failed[:5]}; see {lab.manager_log}")
        await asyncio.sleep(0.5)
    raise SystemExit(f"timed out; see {lab.manager_log}")


async def wait_hosts_available(lab: ProvisioningLab, n: int) -> None:
    for _ in range(1200):
        items = (await lab.store.list(PHYSICAL_HOST, lab.namespace)).items
        if sum(1 for h in items if h.get("status", {}).get("state") == "Available") == n:
            return
        await asyncio.sleep(0.5)
    raise SystemExit("hosts did not become Available")


def stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def summary(name: str, values: list[float]) -> str:
    values = sorted(values)
    p95 = values[max(0, int(len(values) * 0.95) - 1)]
    return (
        f"{name:<34} median {statistics.median(values):6.2f} s  p95 {p95:6.2f} s  "
        f"max {values[-1]:6.2f} s"
    )


async def measure(n: int, concurrency: int, workdir: Path) -> None:
    lab = ProvisioningLab(
        workdir,
        systems=n,
        inspection_timeout="600s",
        manager_args=(f"--concurrency={concurrency}", "--leader-elect=false"),
    )
    await lab.start()
    try:
        hosts = await lab.add_hosts(range(n))
        await wait_hosts_available(lab, n)
        started = time.time()
        for i in range(n):
            await lab.add_machine(f"m-{i:04d}")
        created = time.time()
        finished = await wait_all(lab, "Provisioned", n, 1800)
        machines = (await lab.store.list(BESKAR7_MACHINE, lab.namespace)).items
        stored_hosts = (await lab.store.list(PHYSICAL_HOST, lab.namespace)).items
    finally:
        await lab.stop()
    report(n, concurrency, started, created, finished, machines, stored_hosts, lab, hosts)


def report(
    n: int,
    concurrency: int,
    started: float,
    created: float,
    finished: float,
    machines: list[dict],  # type: ignore[type-arg]
    hosts: list[dict],  # type: ignore[type-arg]
    lab: ProvisioningLab,
    names: list[str],
) -> None:
    consumers = [h["spec"]["consumerRef"]["name"] for h in hosts if h["spec"].get("consumerRef")]
    provider_ids = [m["spec"].get("providerID") for m in machines]
    double = len(consumers) - len(set(consumers)) + len(provider_ids) - len(set(provider_ids))
    requested = {h["metadata"]["name"]: stamp(h["status"]["inspectionTimestamp"]) for h in hosts}
    phases: dict[str, list[float]] = {
        "created -> power asked": [],
        "power asked -> On (emulator delay)": [],
        "On -> boot script": [],
        "boot script -> provisioned callback": [],
    }
    for i, name in enumerate(names):
        boot = lab.fleet.boots[i]
        on, script, done = (
            boot.first("power-on"),
            boot.first("boot-script"),
            boot.first("provisioned"),
        )
        if on is None or script is None or done is None:
            continue
        phases["created -> power asked"].append(requested[name] - started)
        phases["power asked -> On (emulator delay)"].append(on - requested[name])
        phases["On -> boot script"].append(script - on)
        phases["boot script -> provisioned callback"].append(done - script)
    floor = max(phases["power asked -> On (emulator delay)"])
    total = finished - started
    print(f"machines={n} concurrency={concurrency} (python {sys.version.split()[0]})")
    print(f"created {n} machines in {created - started:.1f} s; all Provisioned after {total:.1f} s")
    for name, values in phases.items():
        print(summary(name, values))
    print(
        f"double claims: {double} "
        f"(consumers {len(consumers)}, distinct providerIDs {len(set(provider_ids))})"
    )
    print(
        f"floor (slowest emulator power-on delay): {floor:.1f} s; "
        f"total / floor: {total / floor:.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="beskar7-provision-") as tmp:
        asyncio.run(measure(args.machines, args.concurrency, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
