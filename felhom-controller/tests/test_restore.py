"""Restore: the plan from a backup, and the whole flow against the real hub with a real ext4
filesystem on a loop device (root only)."""

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from felhom_controller.restore import outcome_event, plan_restore
from tests.conftest import CUSTOMER
from tests.peers.hub import Hub

UUID = "3f6c1d2e-aaaa-4bbb-8ccc-0123456789ab"
GONE = "deadbeef-0000-4000-8000-000000000000"


def layout_entry(uuid: str, mount_point: Path, binds: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "label": "data",
        "mount_point": str(mount_point),
        "fs_type": "ext4",
        "fstab_options": "defaults,nofail",
        "bind_mounts": binds,
    }


def backup(tmp_path: Path, *entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_id": CUSTOMER,
        "controller_yaml": base64.b64encode(b"identity: {customer_id: acme}\n").decode(),
        "settings_json": base64.b64encode(b'{"backup_hour": 3}').decode(),
        "disk_layout": list(entries),
        "stacks": [{"name": "nextcloud", "hdd_path": str(tmp_path / "mnt/data/apps")}],
        "restic_passwords": {"primary": "restic-pw"},
    }


def test_the_plan_mounts_present_drives_by_uuid_and_names_missing_ones(tmp_path: Path) -> None:
    data = tmp_path / "mnt/data disk"
    binds = [{"source": f"{data}/apps", "target": str(tmp_path / "srv/apps")}]
    found = backup(
        tmp_path,
        layout_entry(UUID, data, binds),
        layout_entry(GONE, tmp_path / "mnt/gone", []),
    )
    plan = plan_restore(found, {UUID}, tmp_path / "controller.yaml", tmp_path / "settings.json")
    assert plan.files[tmp_path / "settings.json"] == b'{"backup_hour": 3}'
    assert [m["uuid"] for m in plan.mounts] == [UUID]
    assert [m["uuid"] for m in plan.missing] == [GONE]
    escaped = str(data).replace(" ", "\\040")
    assert plan.fstab_lines() == [
        f"UUID={UUID} {escaped} ext4 defaults,nofail 0 2",
        f"{escaped}/apps {tmp_path / 'srv/apps'} none bind 0 0",
    ]
    assert f"MISSING drive UUID={GONE}" in plan.describe()
    assert "restic-pw" not in plan.describe()
    event = outcome_event([f"drive UUID={GONE} is missing"], plan)
    assert event.event_type.value == "restore_failed"


def can_loop_mount() -> str | None:
    if os.geteuid() != 0:
        return "mounting needs root"
    for tool in ("losetup", "mkfs.ext4", "mount", "umount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(["losetup", "-f"], capture_output=True, timeout=30, check=False)
    return None if probe.returncode == 0 else "no free loop device (a container without /dev/loop*)"


@pytest.fixture
def drive(tmp_path: Path) -> Iterator[str]:
    """An ext4 filesystem with UUID on a loop device, with an apps/ directory and a file."""
    image = tmp_path / "disk.img"
    subprocess.run(["truncate", "-s", "8M", str(image)], check=True, timeout=30)
    subprocess.run(["mkfs.ext4", "-q", "-U", UUID, "-L", "data", str(image)], check=True)
    loop = subprocess.run(
        ["losetup", "-f", "--show", str(image)], capture_output=True, text=True, check=True
    ).stdout.strip()
    seed = tmp_path / "seed"
    seed.mkdir()
    try:
        subprocess.run(["mount", loop, str(seed)], check=True, timeout=30)
        (seed / "apps").mkdir()
        (seed / "apps/hello.txt").write_text("from the surviving drive\n")
        subprocess.run(["umount", str(seed)], check=True, timeout=30)
        yield loop
    finally:
        for target in (tmp_path / "srv/apps", tmp_path / "mnt/data", seed):
            subprocess.run(["umount", str(target)], capture_output=True, timeout=30)
        subprocess.run(["losetup", "-d", loop], capture_output=True, timeout=30)


@pytest.mark.slow
@pytest.mark.skipif(can_loop_mount() is not None, reason=str(can_loop_mount()))
def test_restore_end_to_end(hub: Hub, drive: str, tmp_path: Path) -> None:
    key = hub.create_customer(CUSTOMER)
    data = tmp_path / "mnt/data"
    binds = [{"source": f"{data}/apps", "target": str(tmp_path / "srv/apps")}]
    answer = httpx.post(
        f"{hub.url}/api/v1/infra-backup",
        json=backup(tmp_path, layout_entry(UUID, data, binds)),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 201
    config = tmp_path / "controller.yaml"
    fresh = (
        f"identity: {{customer_id: {CUSTOMER}}}\nhub: {{url: '{hub.url}', api_key: '{key}'}}\n"
        f"backup: {{fstab: '{tmp_path / 'fstab'}',"
        f" settings_json: '{tmp_path / 'settings.json'}'}}\n"
        f"engine: {{enabled: false}}\nstate_dir: '{tmp_path / 'state'}'\n"
    )
    config.write_text(fresh)
    command = [sys.executable, "-m", "felhom_controller.cli", "--config", str(config), "restore"]

    dry = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert (
        f"mount UUID={UUID} on {data}" in dry.stdout and "stack to restore: nextcloud" in dry.stdout
    )
    assert config.read_text() == fresh and not (tmp_path / "fstab").exists()

    done = subprocess.run([*command, "--apply"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert config.read_text() == "identity: {customer_id: acme}\n"
    assert config.with_name("controller.yaml.before-restore").read_text() == fresh
    assert (tmp_path / "settings.json").read_text() == '{"backup_hour": 3}'
    assert f"UUID={UUID} {data} ext4" in (tmp_path / "fstab").read_text()
    assert (tmp_path / "srv/apps/hello.txt").read_text() == "from the surviving drive\n"
    assert [e["event_type"] for e in hub.events(CUSTOMER)] == ["restore_completed"]
    assert key not in done.stdout + done.stderr
