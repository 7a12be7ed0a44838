"""What goes into the two initramfs images, from the sysroot and the static inputs.

Inspection image: busybox and its applets, the NIC/disk modules, python3.11 with a pruned
standard library and the inspector, kexec, dmidecode, lsblk, a CA bundle, /init.
Target image (the test's final OS): busybox, the same modules, its own /init.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from beskar7.image import kmods
from beskar7.image.python import add_inspector, add_python
from beskar7.image.tree import Tree

BUSYBOX = "bin/busybox"
TOOLS = ("sbin/kexec", "usr/sbin/dmidecode", "bin/lsblk")
CA_DIR = "usr/share/ca-certificates/mozilla"
CA_BUNDLE = "etc/ssl/certs/ca-certificates.crt"
BASE_FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
    "etc/group": "root:x:0:\n",
    "etc/hosts": "127.0.0.1 localhost\n::1 localhost\n",
    "etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n",
    "etc/resolv.conf": "",
}


@dataclasses.dataclass(frozen=True)
class Kernel:
    """The kernel found in the sysroot and the modules the images load."""

    release: str
    vmlinuz: Path
    config: dict[str, str]
    modules: list[kmods.Module]
    missing: list[str]


def find_kernel(sysroot: Path, wanted_modules: list[str]) -> Kernel:
    kernels = sorted((sysroot / "boot").glob("vmlinuz-*"))
    if len(kernels) != 1:
        raise FileNotFoundError(f"expected one kernel in {sysroot / 'boot'}, found {kernels}")
    release = kernels[0].name.removeprefix("vmlinuz-")
    config = kmods.kernel_config((sysroot / "boot" / f"config-{release}").read_text())
    tree = sysroot / "lib" / "modules" / release
    available = kmods.scan(tree / "kernel")
    present = kmods.builtin(tree) | set(available)
    missing = [name for name in wanted_modules if kmods.canonical(name) not in present]
    modules = kmods.load_order(available, wanted_modules)
    return Kernel(release, kernels[0], config, modules, missing)


def busybox_applets(sysroot: Path) -> list[str]:
    """`busybox --list-full` (the static binary runs on any x86-64 Linux)."""
    done = subprocess.run(
        [str(sysroot / BUSYBOX), "--list-full"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def _base(tree: Tree, kernel: Kernel, inputs: Path, init: str) -> None:
    """Directories, busybox with its applet links, modules, helpers and /init."""
    assert tree.sysroot is not None
    for folder in ("dev", "proc", "sys", "run", "root", "mnt", "var/log", "etc/beskar7"):
        tree.add_dir(folder)
    tree.add_dir("tmp", 0o1777)
    tree.add_from(BUSYBOX)
    for applet in busybox_applets(tree.sysroot):
        if applet != BUSYBOX and applet not in tree:
            depth = applet.count("/")
            tree.add_symlink(applet, "../" * depth + BUSYBOX if depth > 1 else "busybox")
    for path, text in BASE_FILES.items():
        tree.add_file(path, text.encode())
    modules_dir = f"lib/modules/{kernel.release}"
    for module in kernel.modules:
        relative = module.path.relative_to(tree.sysroot / modules_dir).as_posix()
        tree.add_file(f"{modules_dir}/{relative.removesuffix('.xz')}", module.payload())
    order = "".join(
        module.path.relative_to(tree.sysroot / modules_dir).as_posix().removesuffix(".xz") + "\n"
        for module in kernel.modules
    )
    tree.add_file("etc/beskar7/modules", order.encode())
    tree.add_file("lib/beskar7/common.sh", (inputs / "common.sh").read_bytes())
    tree.add_file("etc/udhcpc/default.script", (inputs / "udhcpc.script").read_bytes(), 0o755)
    tree.add_file("init", (inputs / init).read_bytes(), 0o755)


def _ca_bundle(tree: Tree) -> None:
    """Debian's CA certificates as one PEM bundle where OpenSSL looks (update-ca-certificates
    would do this at install time)."""
    certificates = sorted(tree.source(CA_DIR).glob("*.crt"))
    tree.add_file(CA_BUNDLE, b"".join(path.read_bytes() for path in certificates))
    tree.add_symlink("usr/lib/ssl/cert.pem", f"/{CA_BUNDLE}")
    tree.add_symlink("usr/lib/ssl/certs", "/etc/ssl/certs")


def inspection_tree(sysroot: Path, kernel: Kernel, inputs: Path, inspector: Path) -> Tree:
    tree = Tree(sysroot)
    _base(tree, kernel, inputs, "init")
    for tool in TOOLS:
        tree.add_elf(tool)
    add_python(tree)
    add_inspector(tree, inspector)
    _ca_bundle(tree)
    return tree


def target_tree(sysroot: Path, kernel: Kernel, inputs: Path) -> Tree:
    tree = Tree(sysroot)
    _base(tree, kernel, inputs, "target-init")
    return tree
