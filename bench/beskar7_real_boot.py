"""beskar7 real-boot benchmark: a qemu VM (TCG) provisioned end to end, three times per firmware.

Each run starts a fresh lab (Redfish emulator, `beskar7 manager`, one virtual server booting
the `make image` output through iPXE under SeaBIOS or OVMF) and provisions one Machine whose
bootstrap data the target OS fetches from beskar7's seed. Printed per run and as a median:
power-on -> report (the VM starting until the inspection report is stored), report ->
provisioned (validation, hand-off, target download, kexec, the target OS fetching its seed and
calling back) and the total from the VM's start.

    make image && uv run python bench/beskar7_real_boot.py [--runs 3] [--firmware bios uefi]
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from beskar7_testing.lab import ProvisioningLab
from beskar7_testing.qemu import Firmware

IMAGE_DIR = Path(__file__).resolve().parents[1] / "build" / "image"


def stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


USER_DATA = "#cloud-config\nhostname: vm\nbeskar7-e2e: bench\n"


async def one_run(workdir: Path, firmware: Firmware) -> tuple[float, float, float]:
    lab = ProvisioningLab(
        workdir, systems=1, image_dir=IMAGE_DIR, inspection_timeout="300s", firmware=firmware
    )
    await lab.start()
    try:
        [host] = await lab.add_hosts([0])
        await lab.add_machine(
            "vm", {"minCPUCores": 1, "minMemoryGB": 1}, "kairos", config_url=False,
            user_data=USER_DATA,
        )  # fmt: skip
        deadline = time.time() + 600
        while time.time() < deadline:
            machine = await lab.machine("vm")
            if machine.get("status", {}).get("phase") in ("Provisioned", "Failed"):
                break
            await asyncio.sleep(0.25)
        provisioned = time.time()
        if machine.get("status", {}).get("phase") != "Provisioned":
            raise SystemExit(f"run failed: {machine.get('status')}; see {lab.manager_log}")
        reported = stamp((await lab.host(host))["status"]["inspectionReport"]["timestamp"])
        started = lab.fleet.boots[0].first("vm-started")
        assert started is not None
    finally:
        await lab.stop()
    return reported - started, provisioned - reported, provisioned - started


def bench(firmware: Firmware, runs: int) -> None:
    rows = []
    for n in range(runs):
        with tempfile.TemporaryDirectory(prefix="beskar7-realboot-") as tmp:
            rows.append(asyncio.run(one_run(Path(tmp), firmware)))
        a, b, c = rows[-1]
        print(f"{firmware} run {n + 1}: power-on -> report {a:5.1f} s, report -> provisioned "
              f"{b:5.1f} s, total {c:5.1f} s", flush=True)  # fmt: skip
    medians = [statistics.median(col) for col in zip(*rows, strict=True)]
    print(f"{firmware} median: power-on -> report {medians[0]:5.1f} s, report -> provisioned "
          f"{medians[1]:5.1f} s, total {medians[2]:5.1f} s (TCG, {sys.platform})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--firmware", nargs="+", type=Firmware, default=[Firmware.BIOS, Firmware.UEFI]
    )
    args = parser.parse_args()
    if not (IMAGE_DIR / "initrd.img").exists():
        raise SystemExit(f"no image in {IMAGE_DIR}: run `make image` first")
    for firmware in args.firmware:
        bench(firmware, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
