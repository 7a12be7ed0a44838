"""The kinds beskar7 stores or reads, and how each is addressed.

A `Kind` carries what a store needs to address objects of that kind (group, version, plural,
whether it has a status subresource); objects themselves travel as plain JSON dicts (`Obj`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
"""A Kubernetes-style object as JSON: apiVersion, kind, metadata, spec, status."""

GROUP = "infrastructure.cluster.x-k8s.io"
VERSION = "v1beta1"
CAPI_GROUP = "cluster.x-k8s.io"


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    kind: str
    plural: str
    short_names: tuple[str, ...] = ()
    namespaced: bool = True
    status_subresource: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def key(self) -> str:
        """Identity inside a store: the group and kind, not the version."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def __str__(self) -> str:
        return self.key


PHYSICAL_HOST = Kind(
    GROUP, VERSION, "PhysicalHost", "physicalhosts", ("ph",), status_subresource=True
)
BESKAR7_MACHINE = Kind(GROUP, VERSION, "Beskar7Machine", "beskar7machines", status_subresource=True)
BESKAR7_MACHINE_TEMPLATE = Kind(
    GROUP, VERSION, "Beskar7MachineTemplate", "beskar7machinetemplates", ("b7mt",)
)
BESKAR7_CLUSTER = Kind(GROUP, VERSION, "Beskar7Cluster", "beskar7clusters", status_subresource=True)
BESKAR7_CLUSTER_TEMPLATE = Kind(
    GROUP, VERSION, "Beskar7ClusterTemplate", "beskar7clustertemplates", ("b7ct",)
)

SECRET = Kind("", "v1", "Secret", "secrets")
CONFIG_MAP = Kind("", "v1", "ConfigMap", "configmaps")
EVENT = Kind("", "v1", "Event", "events")
LEASE = Kind("coordination.k8s.io", "v1", "Lease", "leases")
CLUSTER = Kind(CAPI_GROUP, "v1beta1", "Cluster", "clusters", ("cl",), status_subresource=True)
MACHINE = Kind(CAPI_GROUP, "v1beta1", "Machine", "machines", ("ma",), status_subresource=True)

OWN_KINDS = (
    PHYSICAL_HOST,
    BESKAR7_MACHINE,
    BESKAR7_MACHINE_TEMPLATE,
    BESKAR7_CLUSTER,
    BESKAR7_CLUSTER_TEMPLATE,
)
ALL_KINDS = (*OWN_KINDS, SECRET, CONFIG_MAP, EVENT, LEASE, CLUSTER, MACHINE)


class UnknownKindError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown kind {name!r}")
        self.name = name


def find_kind(name: str, kinds: Iterable[Kind] = ALL_KINDS) -> Kind:
    """A kind by its name, plural, singular or short name (any case), as kubectl accepts."""
    wanted = name.lower()
    for k in kinds:
        names = {k.kind.lower(), k.plural, k.singular, *k.short_names}
        if wanted in names or wanted in {f"{n}.{k.group}" for n in names if k.group}:
            return k
    raise UnknownKindError(name)


def kind_of(obj: Obj) -> Kind:
    """The registered kind an object claims through apiVersion and kind."""
    api_version = obj.get("apiVersion")
    name = obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(name, str):
        raise UnknownKindError(f"{api_version}/{name}")
    group = api_version.rpartition("/")[0]
    for k in ALL_KINDS:
        if k.kind == name and k.group == group:
            return k
    raise UnknownKindError(f"{api_version}/{name}")
