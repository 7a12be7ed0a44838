"""Dependency resolution for an initramfs: the requested packages and what they Depend on.

Not apt: one candidate per package (the newest in the index), no Recommends, no conflicts.
Packages in `exclude` (and dependencies that name one of them as an alternative) are left out:
a static initramfs needs no init system, package manager, debconf or perl. Which files of the
resolved packages go into an image is decided later from the ELF dependencies of the binaries.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable

from beskar7.image.index import Alternatives, Index, Package, Relation
from beskar7.image.version import satisfies


class ResolveError(Exception):
    """A requested package or a dependency cannot be satisfied from the index."""


@dataclasses.dataclass(frozen=True)
class Resolved:
    """The packages chosen, in the order they were reached, and why each one is there."""

    packages: list[Package]
    required_by: dict[str, str]
    skipped: dict[str, str]


def _matches(package: Package, relation: Relation) -> bool:
    if relation.op is None or relation.version is None:
        return True
    return satisfies(package.version, relation.op, relation.version)


def _candidate(index: Index, relation: Relation, chosen: dict[str, Package]) -> Package | None:
    """The real package named, else a provider (one already chosen first)."""
    package = index.get(relation.name)
    if package is not None and _matches(package, relation):
        return package
    if relation.op is not None:
        return None  # a versioned dependency is not met by a virtual package
    providers = index.providers.get(relation.name, [])
    for provider in providers:
        if provider.name in chosen:
            return provider
    return providers[0] if providers else None


def _pick(index: Index, entry: Alternatives, chosen: dict[str, Package]) -> Package:
    for relation in entry:
        package = _candidate(index, relation, chosen)
        if package is not None:
            return package
    raise ResolveError(" | ".join(str(relation) for relation in entry))


def resolve(index: Index, wanted: Iterable[str], exclude: Iterable[str] = ()) -> Resolved:
    """Breadth-first over Pre-Depends and Depends from `wanted`."""
    excluded = set(exclude)
    chosen: dict[str, Package] = {}
    required_by: dict[str, str] = {}
    skipped: dict[str, str] = {}
    queue: deque[tuple[Alternatives, str]] = deque(
        ((Relation(name),), "(requested)") for name in wanted
    )
    while queue:
        entry, parent = queue.popleft()
        names = [relation.name for relation in entry]
        if any(name in excluded for name in names):
            skipped.setdefault(" | ".join(names), parent)
            continue
        try:
            package = _pick(index, entry, chosen)
        except ResolveError as exc:
            raise ResolveError(f"{parent}: nothing satisfies {exc}") from None
        if package.name in chosen:
            continue
        chosen[package.name] = package
        required_by[package.name] = parent
        queue.extend((dependency, package.name) for dependency in package.depends)
    return Resolved(list(chosen.values()), required_by, skipped)
