"""The local lab behind `make run`: felhom-hub, plus beskar7 enrolling a few emulated BMCs.

Starts, as child processes: felhom-hub on 127.0.0.1:8080 (its database under ./var/), a
sushy-tools Redfish emulator with LAB_HOSTS fake servers, and the beskar7 manager on the
embedded store ./var/beskar7.db (probes on 127.0.0.1:8081, metrics on 127.0.0.1:8088). It
applies a credentials Secret and one PhysicalHost per emulated server, then prints the host
table whenever it changes. Ctrl-C stops everything.

    uv run python tools/lab.py [--hosts 4] [--no-hub]
"""

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from beskar7.testing.emulator import SushyEmulator, fake_systems, free_port

VAR = Path("var")
LAB = VAR / "lab"
STORE = VAR / "beskar7.db"
HUB_CONFIG = VAR / "hub.yaml"
BMC_USER = "lab-admin"
BMC_PASSWORD = "lab-password"  # a throwaway credential of the emulated BMCs, local only
REDFISH_PORT = 8000


def redfish_port() -> int:
    """8000 when free, so the hosts' addresses stay the same from one run to the next."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", REDFISH_PORT))
        except OSError:
            return free_port()
    return REDFISH_PORT


def manifest(emulator: SushyEmulator) -> str:
    """A credentials Secret and a PhysicalHost for every emulated server."""
    docs = [
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: lab-bmc\n  namespace: default\n"
        f"stringData:\n  username: {BMC_USER}\n  password: {BMC_PASSWORD}\n"
    ]
    for i, system in enumerate(emulator.systems):
        docs.append(
            "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: PhysicalHost\n"
            f"metadata:\n  name: {system.name}\n  namespace: default\n"
            "spec:\n  redfishConnection:\n"
            f"    address: {emulator.system_address(i)}\n"
            "    credentialsSecretRef: lab-bmc\n"
        )
    return "---\n".join(docs)


def beskar7(*args: str) -> list[str]:
    return [sys.executable, "-m", "beskar7.cli", *args, "--store", str(STORE)]


@contextlib.contextmanager
def child(name: str, command: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    """A child process logging to var/lab/<name>.log, stopped on the way out."""
    log = (LAB / f"{name}.log").open("ab")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def watch_hosts(procs: list[subprocess.Popen[bytes]]) -> None:
    """Print the PhysicalHost table whenever it changes, until a child exits or Ctrl-C."""
    last = ""
    while all(p.poll() is None for p in procs):
        table = subprocess.run(
            beskar7("get", "physicalhosts"), capture_output=True, text=True, check=False
        ).stdout
        without_age = "\n".join(line.rsplit(None, 1)[0] for line in table.splitlines() if line)
        if without_age != last:
            print(time.strftime("%H:%M:%S"), "PhysicalHosts:\n" + table, flush=True)
            last = without_age
        time.sleep(2)
    failed = [p.args for p in procs if p.poll() is not None]
    print(f"a lab process stopped: {failed}; see {LAB}/*.log", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=4, help="emulated servers (default 4)")
    parser.add_argument("--no-hub", action="store_true", help="do not start felhom-hub")
    args = parser.parse_args()
    LAB.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    systems = fake_systems(args.hosts)
    with contextlib.ExitStack() as stack:
        procs = []
        if not args.no_hub:
            hub = ["felhom-hub", "serve", "--config", str(HUB_CONFIG)]
            procs.append(stack.enter_context(child("felhom-hub", hub)))
            print("felhom-hub: http://127.0.0.1:8080 (API key in var/hub.yaml)")
        emulator = SushyEmulator(
            LAB / "sushy",
            systems=systems,
            port=redfish_port(),
            username=BMC_USER,
            password=BMC_PASSWORD,
        )
        stack.enter_context(emulator)
        print(f"Redfish emulator: {emulator.url}/redfish/v1/Systems ({len(systems)} servers)")
        hosts = LAB / "hosts.yaml"
        hosts.write_text(manifest(emulator))
        subprocess.run(beskar7("apply", "-f", str(hosts)), check=True)
        manager = beskar7(
            "manager",
            "--metrics-bind-address=127.0.0.1:8088",
            "--health-probe-bind-address=127.0.0.1:8081",
            "--inspection-bind-address=127.0.0.1",
        )
        procs.append(stack.enter_context(child("beskar7-manager", manager)))
        print("beskar7 manager: probes 127.0.0.1:8081, metrics 127.0.0.1:8088/metrics")
        print(f"logs in {LAB}/; try: uv run beskar7 get ph -o yaml\n", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            watch_hosts(procs)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
