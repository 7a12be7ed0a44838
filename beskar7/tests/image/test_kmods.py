"""Kernel modules: dependencies from .modinfo, load order, builtins, config."""

from __future__ import annotations

import lzma
from pathlib import Path

import pytest

from beskar7.image import kmods
from tests.image import elfgen


def _tree(root: Path, modules: dict[str, str]) -> Path:
    for path, depends in modules.items():
        target = root / "kernel" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        blob = elfgen.module({"depends": depends})
        if path.endswith(".xz"):
            blob = lzma.compress(blob)
        target.write_bytes(blob)
    return root


MODULES = {
    "drivers/virtio/virtio_ring.ko": "",
    "drivers/virtio/virtio.ko": "virtio_ring",
    "drivers/virtio/virtio_pci.ko": "virtio_ring,virtio",
    "net/core/failover.ko": "",
    "drivers/net/net_failover.ko": "failover",
    "drivers/net/virtio_net.ko.xz": "virtio_ring,virtio,net-failover",
}


def test_load_order_puts_dependencies_first(tmp_path: Path) -> None:
    available = kmods.scan(_tree(tmp_path, MODULES) / "kernel")
    order = [m.name for m in kmods.load_order(available, ["virtio_pci", "virtio-net", "e1000"])]
    assert order == [
        "virtio_ring",
        "virtio",
        "virtio_pci",
        "failover",
        "net_failover",
        "virtio_net",
    ]


def test_compressed_module_payload_is_unpacked(tmp_path: Path) -> None:
    available = kmods.scan(_tree(tmp_path, MODULES) / "kernel")
    module = kmods.load(available["virtio_net"])
    assert module.payload().startswith(b"\x7fELF")
    assert module.depends == ("virtio_ring", "virtio", "net_failover")


def test_missing_dependency_is_an_error(tmp_path: Path) -> None:
    available = kmods.scan(_tree(tmp_path, {"drivers/a.ko": "b"}) / "kernel")
    with pytest.raises(kmods.ModuleError, match="a needs b"):
        kmods.load_order(available, ["a"])


def test_builtin_and_config(tmp_path: Path) -> None:
    (tmp_path / "modules.builtin").write_text("kernel/drivers/nvme/host/nvme-core.ko\n")
    assert kmods.builtin(tmp_path) == {"nvme_core"}
    config = kmods.kernel_config("# CONFIG_E1000 is not set\nCONFIG_KEXEC=y\nCONFIG_VIRTIO_NET=m\n")
    assert config == {"CONFIG_KEXEC": "y", "CONFIG_VIRTIO_NET": "m"}
