"""`python -m beskar7.image build`: packages -> sysroot -> inspection image + target OS.

Output (default build/image/): vmlinuz, initrd.img, target.tar.gz (boot/vmlinuz,
boot/initrd.img) and manifest.json. Downloads are cached in build/cache/, the extracted
packages and the staged tree live in build/work/.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from beskar7.image import cpio, deb, layout, manifest, repo, stage
from beskar7.image.index import Index, Package
from beskar7.image.resolve import resolve
from beskar7.image.targetos import write_target
from beskar7.image.tree import Tree

log = logging.getLogger(__name__)

INPUTS = Path(__file__).resolve().parents[3] / "image"
INSPECTOR = Path(__file__).resolve().parents[1]
REQUIRED_CONFIG = ("KEXEC", "DEVTMPFS", "BLK_DEV_INITRD", "RD_GZIP", "PACKET", "TMPFS", "PROC_FS")
REPORTED_CONFIG = (
    "KEXEC_FILE",
    "KEXEC_SIG",
    "KEXEC_SIG_FORCE",
    "LOCK_DOWN_IN_EFI_SECURE_BOOT",
    "VIRTIO_NET",
    "VIRTIO_BLK",
    "VIRTIO_PCI",
    "E1000",
    "E1000E",
    "BLK_DEV_NVME",
    "SATA_AHCI",
)


@dataclasses.dataclass(frozen=True)
class Options:
    out: Path = Path("build/image")
    cache: Path = Path("build/cache")
    work: Path = Path("build/work")
    lock: Path | None = None
    inputs: Path = INPUTS
    debian: str = repo.DEBIAN
    security: str = repo.SECURITY


def read_list(path: Path) -> list[str]:
    """Names one per line; `#` starts a comment."""
    words = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [word for word in words if word]


def choose_packages(options: Options) -> tuple[list[Package], dict[str, Any]]:
    """From the lock file, or resolved from the archive's current indexes."""
    if options.lock is not None:
        packages, required_by = manifest.locked_packages(options.lock)
        return packages, {"locked_from": str(options.lock), "required_by": required_by}
    index, suites = Index(), []
    for suite in repo.bookworm(options.debian, options.security):
        found, signed = repo.load_suite(suite, options.cache)
        index.add(found)
        suites.append({"suite": suite.name, "base_url": suite.base_url, "signed": signed})
    exclude = read_list(options.inputs / "exclude.txt")
    resolved = resolve(index, read_list(options.inputs / "packages.txt"), exclude)
    details = {"suites": suites, "required_by": resolved.required_by, "skipped": resolved.skipped}
    return resolved.packages, details


def extract_all(debs: dict[str, Path], sysroot: Path) -> None:
    if sysroot.exists():
        shutil.rmtree(sysroot)
    sysroot.mkdir(parents=True)
    for name in sorted(debs):
        deb.extract(debs[name], sysroot)


def check_kernel(kernel: layout.Kernel) -> dict[str, str]:
    config = kernel.config
    missing = [name for name in REQUIRED_CONFIG if config.get(f"CONFIG_{name}") != "y"]
    if missing:
        raise RuntimeError(f"kernel {kernel.release} lacks {', '.join(missing)}")
    return {name: config.get(f"CONFIG_{name}", "n") for name in REQUIRED_CONFIG + REPORTED_CONFIG}


def write_initrd(tree: Tree, path: Path) -> dict[str, Any]:
    archive = cpio.write(tree)
    path.write_bytes(cpio.compress(archive))
    return manifest.file_record(path, uncompressed=len(archive), entries=len(tree.entries))


def build_inspection(options: Options, sysroot: Path, kernel: layout.Kernel) -> dict[str, Any]:
    tree = layout.inspection_tree(sysroot, kernel, options.inputs, INSPECTOR)
    staged = options.work / "initrd"
    stage.write(tree, staged)
    pycs = stage.compile_tree(tree, staged)
    checked = {**stage.check(staged), "pycs": pycs}
    log.info("image python checked: %s", checked)
    record = write_initrd(tree, options.out / "initrd.img")
    return {"initrd.img": record, "python_check": checked}


def build(options: Options) -> dict[str, Any]:
    started = time.monotonic()
    packages, details = choose_packages(options)
    debs = repo.fetch_debs(packages, options.cache)
    sysroot = options.work / "sysroot"
    extract_all(debs, sysroot)
    kernel = layout.find_kernel(sysroot, read_list(options.inputs / "modules.txt"))
    config = check_kernel(kernel)
    options.out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kernel.vmlinuz, options.out / "vmlinuz")
    files: dict[str, Any] = {"vmlinuz": manifest.file_record(options.out / "vmlinuz")}
    inspection = build_inspection(options, sysroot, kernel)
    files["initrd.img"] = inspection.pop("initrd.img")
    target_tree = layout.target_tree(sysroot, kernel, options.inputs)
    files["target.tar.gz"] = write_target(
        options.out / "target.tar.gz",
        options.out / "vmlinuz",
        cpio.compress(cpio.write(target_tree)),
    )
    required_by = details.pop("required_by")
    document = {
        **details,
        "packages": [manifest.package_record(p, required_by.get(p.name, "")) for p in packages],
        "kernel": {"release": kernel.release, "config": config},
        "modules": [module.name for module in kernel.modules],
        "modules_not_in_kernel": kernel.missing,
        "files": files,
        **inspection,
        "build_seconds": round(time.monotonic() - started, 1),
    }
    manifest.write(options.out / "manifest.json", document)
    return document
