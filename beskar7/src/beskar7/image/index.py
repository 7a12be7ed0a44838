"""Debian `Packages` indexes: stanzas, the fields the builder needs, and relation fields."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator

from beskar7.image.version import compare

_RELATION = re.compile(
    r"^(?P<name>[a-z0-9][a-z0-9+.-]*)(?::(?P<arch>[a-z0-9-]+))?"
    r"(?:\s*\((?P<op><<|<=|=|>=|>>|<|>)\s*(?P<version>[^)\s]+)\s*\))?"
    r"(?:\s*\[[^]]*\])?(?:\s*<[^>]*>)*$"
)


@dataclasses.dataclass(frozen=True)
class Relation:
    """One alternative of a Depends entry: `name[:arch] [(op version)]`."""

    name: str
    op: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        return f"{self.name} ({self.op} {self.version})" if self.op else self.name


Alternatives = tuple[Relation, ...]


@dataclasses.dataclass(frozen=True)
class Package:
    """One binary package as an index lists it, and where it comes from."""

    name: str
    version: str
    architecture: str
    filename: str
    sha256: str
    size: int
    depends: tuple[Alternatives, ...] = ()
    provides: tuple[Relation, ...] = ()
    base_url: str = ""
    suite: str = ""

    @property
    def url(self) -> str:
        return f"{self.base_url.rstrip('/')}/{self.filename}"


def stanzas(text: str) -> Iterator[dict[str, str]]:
    """deb822 paragraphs as {field: value}; continuation lines are joined with newlines."""
    fields: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, last = {}, ""
        elif line[0] in " \t":
            if last:
                fields[last] += "\n" + line.strip()
        else:
            name, _, value = line.partition(":")
            last = name.strip()
            fields[last] = value.strip()
    if fields:
        yield fields


def parse_relation(text: str) -> Relation:
    match = _RELATION.match(text.strip())
    if match is None:
        raise ValueError(f"cannot parse the relation {text!r}")
    return Relation(match["name"], match["op"], match["version"])


def parse_relations(text: str) -> tuple[Alternatives, ...]:
    """`a (>= 1) | b, c:any` -> ((a>=1, b), (c,))."""
    entries = [entry for entry in text.split(",") if entry.strip()]
    return tuple(tuple(parse_relation(part) for part in entry.split("|")) for entry in entries)


def to_package(fields: dict[str, str], *, base_url: str = "", suite: str = "") -> Package:
    depends = ", ".join(
        value for value in (fields.get("Pre-Depends"), fields.get("Depends")) if value
    )
    provides = parse_relations(fields.get("Provides", ""))
    return Package(
        name=fields["Package"],
        version=fields["Version"],
        architecture=fields.get("Architecture", ""),
        filename=fields["Filename"],
        sha256=fields["SHA256"],
        size=int(fields.get("Size", "0")),
        depends=parse_relations(depends),
        provides=tuple(alternatives[0] for alternatives in provides),
        base_url=base_url,
        suite=suite,
    )


def parse_packages(text: str, *, base_url: str = "", suite: str = "") -> list[Package]:
    """Every stanza of a Packages file that has the fields the builder needs."""
    wanted = ("Package", "Version", "Filename", "SHA256")
    return [
        to_package(fields, base_url=base_url, suite=suite)
        for fields in stanzas(text)
        if all(name in fields for name in wanted)
    ]


class Index:
    """The newest version of each package over several Packages files, and who provides what."""

    def __init__(self, packages: Iterable[Package] = ()) -> None:
        self.packages: dict[str, Package] = {}
        self.providers: dict[str, list[Package]] = {}
        self.add(packages)

    def add(self, packages: Iterable[Package]) -> None:
        for package in packages:
            known = self.packages.get(package.name)
            if known is None or compare(package.version, known.version) > 0:
                self.packages[package.name] = package
        self.providers = {}
        for package in self.packages.values():
            for provided in package.provides:
                self.providers.setdefault(provided.name, []).append(package)

    def get(self, name: str) -> Package | None:
        return self.packages.get(name)
