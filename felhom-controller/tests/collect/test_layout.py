"""The disk layout: a recorded multi-drive server, and this machine's real mountinfo."""

import subprocess
from pathlib import Path
from typing import Any

import pytest

from felhom_controller.collect.layout import disk_layout, parse_fstab, parse_mountinfo
from felhom_controller.collect.storage import block_ids, parse_blkid, parse_lsblk
from felhom_hub.api.payloads import DiskLayoutEntry

RECORDED = Path(__file__).parent / "recorded"


def server_layout() -> list[dict[str, Any]]:
    return disk_layout(
        parse_mountinfo((RECORDED / "server-mountinfo.txt").read_text()),
        parse_fstab((RECORDED / "server-fstab.txt").read_text()),
        parse_lsblk((RECORDED / "server-lsblk.json").read_text()),
    )


def test_a_multi_drive_server_maps_uuids_to_mount_points_with_binds() -> None:
    layout = {entry["mount_point"]: entry for entry in server_layout()}
    assert sorted(layout) == ["/", "/boot/efi", "/mnt/hdd 2", "/mnt/hdd1"]
    hdd1 = layout["/mnt/hdd1"]
    assert hdd1["uuid"] == "1b2c3d4e-1111-4f00-8000-000000000017"
    assert (hdd1["label"], hdd1["fs_type"]) == ("hdd1", "ext4")
    assert hdd1["fstab_options"] == "defaults,noatime,nofail"
    assert hdd1["bind_mounts"] == [
        {"source": "/mnt/hdd1/apps/nextcloud", "target": "/srv/nextcloud"}
    ]
    hdd2 = layout["/mnt/hdd 2"]
    assert hdd2["bind_mounts"] == [{"source": "/mnt/hdd 2/photos", "target": "/srv/photos"}]
    for entry in layout.values():
        DiskLayoutEntry.model_validate(entry)


def test_without_lsblk_the_fstab_uuid_is_used_and_unknown_ones_left_out() -> None:
    layout = disk_layout(
        parse_mountinfo((RECORDED / "server-mountinfo.txt").read_text()),
        parse_fstab((RECORDED / "server-fstab.txt").read_text()),
        {},
    )
    # /mnt/hdd 2 is only known by LABEL= in fstab: it cannot be found by UUID on a new system
    assert [e["mount_point"] for e in layout] == ["/", "/boot/efi", "/mnt/hdd1"]


def test_this_machines_mountinfo_parses_and_has_a_root() -> None:
    mounts = parse_mountinfo(Path("/proc/self/mountinfo").read_text())
    assert any(m.mount_point == "/" and m.root == "/" for m in mounts)
    assert any(m.fs_type == "proc" for m in mounts)


@pytest.mark.skipif(not Path("/usr/bin/lsblk").exists(), reason="lsblk is not installed")
def test_this_machines_lsblk_answers_the_shape_we_parse() -> None:
    done = subprocess.run(
        ["lsblk", "--json", "--list", "-o", "PATH,UUID,LABEL"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    found = block_ids()
    assert set(parse_lsblk(done.stdout)) <= set(found)
    assert all(path.startswith("/dev/") for path in found)


def test_blkid_export_output_parses() -> None:
    text = "DEVNAME=/dev/loop0\nLABEL=data\nUUID=3f6c\nTYPE=ext4\n\nDEVNAME=/dev/sdz1\nTYPE=swap\n"
    ids = parse_blkid(text)
    assert (ids["/dev/loop0"].uuid, ids["/dev/loop0"].label) == ("3f6c", "data")
    assert ids["/dev/sdz1"].uuid is None
