"""The local lab behind `make run`: felhom-hub, and beskar7 provisioning simulated servers.

Starts felhom-hub on 127.0.0.1:8080 (database under ./var/), then a beskar7 provisioning lab
(beskar7_testing.lab): a sushy-tools Redfish emulator with --hosts fake servers on
127.0.0.1:8000, simulated servers that network-boot through the callback server and run the
real inspector, and `beskar7 manager` on the embedded store ./var/beskar7.db (callback server
127.0.0.1:8082, probes :8081, metrics :8088). It enrolls one PhysicalHost per server, then
creates a Cluster API Machine and its Beskar7Machine, and prints hosts and machines whenever
they change: the hosts go Enrolling -> Available, the machine Pending -> Provisioned.
With the hub, --controllers felhom-controllers (tools/lab_controllers.py) report to it as
lab-node-1, lab-node-2, … (see `GET /api/v1/customers`). Ctrl-C stops everything.

    uv run python tools/lab.py [--hosts 4] [--machines 1] [--controllers 2] [--no-hub]
"""

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import lab_hub_demo
from lab_controllers import LabControllers

from beskar7.api.kinds import BESKAR7_MACHINE, PHYSICAL_HOST, Kind
from beskar7.cli.get import table
from beskar7_testing.emulator import free_port
from beskar7_testing.lab import ProvisioningLab

VAR = Path("var")
LAB = VAR / "lab"
HUB_CONFIG = VAR / "hub.yaml"
HUB_URL = "http://127.0.0.1:8080"  # what `felhom-hub init` writes by default
STORE = VAR / "beskar7.db"


def fresh_store() -> None:
    """The lab starts from an empty store; the previous one is kept as var/beskar7.db.previous."""
    if STORE.exists():
        STORE.replace(STORE.with_name("beskar7.db.previous"))
    for suffix in ("-wal", "-shm"):
        STORE.with_name(STORE.name + suffix).unlink(missing_ok=True)


def port_or_free(port: int) -> int:
    """`port` when free, so addresses stay the same from one run to the next."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port


# The lab's controllers report every minute, so its dead man's switch is set to match: a
# stopped lab controller shows node_stale after 3 minutes and node_down after 6.
LAB_ALERTING = {
    "FELHOM_HUB_ALERTING_STALE_THRESHOLD": "3m",
    "FELHOM_HUB_ALERTING_CHECK_INTERVAL": "10s",
}


def start_hub() -> subprocess.Popen[bytes]:
    log = (LAB / "felhom-hub.log").open("ab")
    command = ["felhom-hub", "serve", "--config", str(HUB_CONFIG)]
    password, dashboard = lab_hub_demo.dashboard_password()
    print(f"felhom-hub dashboard: {HUB_URL}/  password (this run only): {password}", flush=True)
    env = {**os.environ, **LAB_ALERTING, **dashboard}
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)


async def snapshot(lab: ProvisioningLab) -> str:
    parts = []
    for kind, title in ((PHYSICAL_HOST, "PhysicalHosts"), (BESKAR7_MACHINE, "Beskar7Machines")):
        parts.append(f"{title}:\n{await _table(lab, kind)}")
    return "\n".join(parts)


async def _table(lab: ProvisioningLab, kind: Kind) -> str:
    """The kind's table without its AGE column (so it only changes when something happens)."""
    items = (await lab.store.list(kind, lab.namespace)).items
    text = table(kind, items, datetime.now(UTC), all_namespaces=False)
    return "\n".join(line.rsplit(None, 1)[0] if line else line for line in text.splitlines())


async def watch(lab: ProvisioningLab, hub: subprocess.Popen[bytes] | None) -> None:
    last = ""
    while hub is None or hub.poll() is None:
        if lab.manager is not None and lab.manager.poll() is not None:
            print(f"beskar7 manager exited; see {lab.manager_log}", file=sys.stderr)
            return
        shown = await snapshot(lab)
        if shown != last:
            print(time.strftime("%H:%M:%S"), shown, sep="\n", flush=True)
            last = shown
        await asyncio.sleep(1)
    print(f"felhom-hub exited; see {LAB}/felhom-hub.log", file=sys.stderr)


async def run(args: argparse.Namespace) -> None:
    hub = None if args.no_hub else start_hub()
    controllers = LabControllers(LAB / "controllers", HUB_CONFIG)
    if hub is not None and args.controllers:
        controllers.start(args.controllers)
        print(f"{args.controllers} felhom-controller(s) reporting; logs under {controllers.root}")
    lab = ProvisioningLab(
        LAB / "beskar7",
        systems=args.hosts,
        store_path=STORE,
        redfish_port=port_or_free(8000),
        callback_port=port_or_free(8082),
        manager_args=(
            "--metrics-bind-address=127.0.0.1:8088",
            "--health-probe-bind-address=127.0.0.1:8081",
        ),
    )
    try:
        await lab.start()
        await lab.add_hosts(range(args.hosts))
        print(f"Redfish emulator {lab.emulator.url}, callback server {lab.callback_url}")
        print(f"logs: {lab.manager_log}, {LAB}/felhom-hub.log; try: uv run beskar7 get ph -o yaml")
        watcher = asyncio.create_task(watch(lab, hub))
        # Demo nodes beside the real controllers: more variety on the dashboard (a warm node,
        # a failing backup) than the lab's two controllers show.
        demo = None
        if hub is not None:
            demo = asyncio.create_task(lab_hub_demo.push_forever(HUB_CONFIG, HUB_URL))
        await asyncio.sleep(3)  # let the hosts enroll before a machine claims one
        for n in range(min(args.machines, args.hosts)):
            await lab.add_machine(f"worker-{n}", {"minCPUCores": 1, "minMemoryGB": 1})
        await watcher
        if demo is not None:
            demo.cancel()
    finally:
        controllers.stop()
        await lab.stop()
        if hub is not None and hub.poll() is None:
            hub.terminate()
            hub.wait(timeout=15)


def _interrupt(signum: int, frame: object) -> None:
    """The first Ctrl-C or SIGTERM stops the lab; later ones must not cut its cleanup short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=4, help="emulated servers (default 4)")
    parser.add_argument("--machines", type=int, default=1, help="machines to provision")
    parser.add_argument("--no-hub", action="store_true", help="do not start felhom-hub")
    parser.add_argument("--controllers", type=int, default=2, help="felhom-controllers (2)")
    args = parser.parse_args()
    LAB.mkdir(parents=True, exist_ok=True)
    fresh_store()
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
