"""The clusterctl provider repository: `infrastructure-beskar7/<version>/` with
infrastructure-components.yaml, metadata.yaml and cluster-template.yaml, the layout clusterctl
reads through a `providers:` entry of its configuration (a file:// URL to the components file).

`python -m beskar7.api.release OUT-DIR` (what `make release` runs) writes it. The cluster
template lives in beskar7/config/templates; every variable it uses is listed in
`TEMPLATE_VARIABLES` with a description and an example value (docs/beskar7.md shows the same
table), and `substitute` fills them the way clusterctl does (`${NAME}`, `${NAME:=default}`).
"""

import re
import sys
from importlib.metadata import version as installed_version
from pathlib import Path

from beskar7.api import components
from beskar7.api.components import CONFIG_DIR

PROVIDER = "infrastructure-beskar7"
TEMPLATE_FILE = CONFIG_DIR / "templates" / "cluster-template.yaml"
METADATA_FILE = CONFIG_DIR.parent / "metadata.yaml"
FILES = ("infrastructure-components.yaml", "metadata.yaml", "cluster-template.yaml")

TEMPLATE_VARIABLES: dict[str, tuple[str, str]] = {
    "CLUSTER_NAME": ("the cluster's name (clusterctl sets it)", "lab"),
    "NAMESPACE": ("the namespace of every object (clusterctl sets it)", "default"),
    "KUBERNETES_VERSION": ("the Kubernetes version of every node", "v1.31.4"),
    "CONTROL_PLANE_MACHINE_COUNT": ("control-plane machines (default 1)", "3"),
    "WORKER_MACHINE_COUNT": ("worker machines (default 1)", "2"),
    "CONTROL_PLANE_ENDPOINT_HOST": (
        "required: the API server VIP kube-vip announces, a free address on the hosts' network",
        "192.0.2.100",
    ),
    "CONTROL_PLANE_ENDPOINT_PORT": ("the API server port (default 6443)", "6443"),
    "POD_CIDR": ("the pod network (default 10.244.0.0/16)", "10.244.0.0/16"),
    "KUBE_VIP_VERSION": ("the kube-vip image tag (default v0.8.9)", "v0.8.9"),
    "KUBE_VIP_INTERFACE": ("the NIC kube-vip announces the VIP on (default eth0)", "eno1"),
    "BESKAR7_INSPECTION_IMAGE_URL": (
        "required: the inspection image's iPXE script or kernel URL",
        "http://192.0.2.10:8080/beskar7/inspector.ipxe",
    ),
    "BESKAR7_TARGET_OS_IMAGE_URL": (
        "required: the operating system image to install",
        "http://192.0.2.10:8080/images/kairos-ubuntu-24.04.tar.gz",
    ),
    "BESKAR7_OS_FAMILY": ("kairos, talos, flatcar or leap-micro (default kairos)", "kairos"),
    "BESKAR7_CONTROL_PLANE_HOST_ROLE": (
        "hosts labelled beskar7.metalfleet.dev/role=<this> run the control plane"
        " (default control-plane)",
        "control-plane",
    ),
    "BESKAR7_WORKER_HOST_ROLE": (
        "hosts labelled beskar7.metalfleet.dev/role=<this> run workers (default worker)",
        "worker",
    ),
    "BESKAR7_CONTROL_PLANE_MIN_CPU_CORES": ("control-plane hosts' minimum cores (2)", "4"),
    "BESKAR7_CONTROL_PLANE_MIN_MEMORY_GB": ("control-plane hosts' minimum memory, GB (4)", "8"),
    "BESKAR7_WORKER_MIN_CPU_CORES": ("worker hosts' minimum cores (2)", "4"),
    "BESKAR7_WORKER_MIN_MEMORY_GB": ("worker hosts' minimum memory, GB (4)", "8"),
}
"""Variable -> (description, example value) for cluster-template.yaml."""

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}")


class MissingVariableError(ValueError):
    pass


def substitute(text: str, values: dict[str, str]) -> str:
    """`text` with every `${NAME}` replaced as clusterctl does: the value, else the default of
    `${NAME:=default}` (or `:-`, `=`, `-`); MissingVariableError names those with neither."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, operator, default = match.groups()
        if name in values and (values[name] or operator in (None, "=", "-")):
            return values[name]
        if operator is not None:
            return default
        missing.append(name)
        return ""

    result = _REFERENCE.sub(replace, text)
    if missing:
        raise MissingVariableError("no value for " + ", ".join(sorted(set(missing))))
    return result


def template() -> str:
    return TEMPLATE_FILE.read_text(encoding="utf-8")


def release_version() -> str:
    """The repository's version directory: `v` and the package version."""
    return "v" + installed_version("beskar7")


def write_repository(out: Path, version: str | None = None) -> Path:
    """Write `out/infrastructure-beskar7/<version>/` and return that directory."""
    directory = out / PROVIDER / (version or release_version())
    directory.mkdir(parents=True, exist_ok=True)
    texts = (components.generate(), METADATA_FILE.read_text(encoding="utf-8"), template())
    for name, text in zip(FILES, texts, strict=True):
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m beskar7.api.release OUTPUT-DIRECTORY\n")
        return 2
    directory = write_repository(Path(args[0]))
    sys.stdout.write(f"{directory}\n")
    sys.stdout.write(
        "clusterctl.yaml:\n  providers:\n  - name: beskar7\n    type: InfrastructureProvider\n"
        f"    url: file://{(directory / FILES[0]).resolve()}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
