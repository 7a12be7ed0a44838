"""Kernel modules for the initramfs: find them, read their dependencies, order the loads.

Debian's kernel packages ship no modules.dep (depmod runs at install time), so each module's
dependencies are read from its own `.modinfo` section (`depends=a,b`). Compressed modules
(`.ko.xz`) are unpacked, so busybox `insmod` can load every file.
"""

from __future__ import annotations

import dataclasses
import lzma
from collections.abc import Iterable
from pathlib import Path

from beskar7.image import elf


class ModuleError(Exception):
    """A module's dependency cannot be found in the kernel's module tree."""


@dataclasses.dataclass(frozen=True)
class Module:
    name: str
    path: Path
    depends: tuple[str, ...]

    def payload(self) -> bytes:
        """The module as `insmod` wants it: uncompressed."""
        blob = self.path.read_bytes()
        return lzma.decompress(blob) if self.path.name.endswith(".xz") else blob


def canonical(name: str) -> str:
    """Module names compare with `-` and `_` as the same character."""
    return name.replace("-", "_")


def module_name(path: Path) -> str:
    return canonical(path.name.split(".ko")[0])


def modinfo(blob: bytes) -> dict[str, str]:
    """key=value pairs from a module's .modinfo section (the first value of each key)."""
    section = elf.section(blob, ".modinfo") or b""
    pairs: dict[str, str] = {}
    for item in section.split(b"\0"):
        key, sep, value = item.decode("utf-8", errors="replace").partition("=")
        if sep:
            pairs.setdefault(key, value)
    return pairs


def scan(tree: Path) -> dict[str, Path]:
    """{module name: file} under lib/modules/<version>/."""
    return {
        module_name(path): path
        for path in sorted(tree.rglob("*.ko*"))
        if path.name.endswith((".ko", ".ko.xz"))
    }


def load(path: Path) -> Module:
    blob = path.read_bytes()
    if path.name.endswith(".xz"):
        blob = lzma.decompress(blob)
    depends = modinfo(blob).get("depends", "")
    return Module(module_name(path), path, tuple(canonical(d) for d in depends.split(",") if d))


def load_order(available: dict[str, Path], wanted: Iterable[str]) -> list[Module]:
    """The wanted modules that this kernel has, each after its dependencies."""
    ordered: list[Module] = []
    seen: set[str] = set()

    def visit(name: str, parent: str) -> None:
        if name in seen:
            return
        if name not in available:
            raise ModuleError(f"{parent} needs {name}, which this kernel does not have")
        seen.add(name)
        module = load(available[name])
        for dependency in module.depends:
            visit(dependency, name)
        ordered.append(module)

    for name in wanted:
        if canonical(name) in available:
            visit(canonical(name), "(requested)")
    return ordered


def builtin(tree: Path) -> set[str]:
    """Modules built into the kernel (modules.builtin): no file, nothing to load."""
    listing = tree / "modules.builtin"
    if not listing.is_file():
        return set()
    return {module_name(Path(line)) for line in listing.read_text().split()}


def kernel_config(text: str) -> dict[str, str]:
    """CONFIG_X=value lines of a kernel's boot/config-* file."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("CONFIG_"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs
