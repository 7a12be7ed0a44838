"""The three service images: their names and tag, the engine that builds them, the commands.

The command line is deploy/cli.py (``make images``, ``make pin-images``).

Names and the tag come from deploy/images.env only. The Containerfiles live in
deploy/<service>/Containerfile; the build context is the repository root, where .dockerignore
(read by podman and docker alike) lets only the workspace's metadata and sources in.
"""

import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
IMAGES_ENV = DEPLOY / "images.env"

_REGISTRY = re.compile(r"[a-z0-9][a-z0-9.:-]*(/[a-z0-9][a-z0-9._-]*)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


class ImageError(Exception):
    """An image could not be named, built or measured; the message says why."""


class Service(StrEnum):
    HUB = "felhom-hub"
    CONTROLLER = "felhom-controller"
    BESKAR7 = "beskar7"

    @property
    def containerfile(self) -> Path:
        return DEPLOY / self.value / "Containerfile"

    @property
    def version(self) -> str:
        """The package's version (the image's org.opencontainers.image.version label)."""
        data = tomllib.loads((ROOT / self.value / "pyproject.toml").read_text(encoding="utf-8"))
        return str(data["project"]["version"])


class Engine(StrEnum):
    PODMAN = "podman"
    DOCKER = "docker"


@dataclass(frozen=True, slots=True)
class Coordinates:
    """Where the images are pushed: ``<registry>/<service>:<tag>``."""

    registry: str
    tag: str

    def ref(self, service: Service) -> str:
        return f"{self.registry}/{service.value}:{self.tag}"


def parse_coordinates(text: str, where: str = "images.env") -> Coordinates:
    """REGISTRY and TAG from KEY=VALUE lines (``#`` comments); anything else is an error."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or key not in {"REGISTRY", "TAG"} or key in values:
            raise ImageError(f"{where}:{number}: expected REGISTRY=... or TAG=... once each")
        values[key] = value.strip()
    missing = {"REGISTRY", "TAG"} - values.keys()
    if missing:
        raise ImageError(f"{where}: missing {', '.join(sorted(missing))}")
    if not _REGISTRY.fullmatch(values["REGISTRY"]):
        raise ImageError(f"{where}: REGISTRY {values['REGISTRY']!r} is not host[:port][/path]")
    if not _TAG.fullmatch(values["TAG"]):
        raise ImageError(f"{where}: TAG {values['TAG']!r} is not a valid image tag")
    return Coordinates(values["REGISTRY"], values["TAG"])


def coordinates(path: Path = IMAGES_ENV) -> Coordinates:
    return parse_coordinates(path.read_text(encoding="utf-8"), str(path))


def find_engine(which: Callable[[str], str | None] = shutil.which) -> Engine:
    """podman when installed, else docker; an error naming both when neither is."""
    for engine in Engine:
        if which(engine.value):
            return engine
    raise ImageError("neither podman nor docker is installed (Debian: apt-get install podman)")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    base: str | None = None
    """The BASE build argument (default: the Containerfile's python slim image)."""
    ca_bundle: Path | None = None
    """A CA bundle for the build's package downloads (a TLS-intercepting proxy), as a secret."""
    revision: str = "unknown"


def build_command(
    engine: Engine, service: Service, ref: str, options: BuildOptions, prefix: Sequence[str] = ()
) -> list[str]:
    """The build command line. podman gets the docker format (the OCI format drops HEALTHCHECK)
    and chroot isolation (RUN steps work on hosts with hybrid cgroups)."""
    command = [*(prefix or [engine.value]), "build", "-f", str(service.containerfile), "-t", ref]
    if engine is Engine.PODMAN:
        command += ["--format", "docker", "--isolation", "chroot"]
    command += ["--build-arg", f"VERSION={service.version}"]
    command += ["--build-arg", f"REVISION={options.revision}"]
    if options.base:
        command += ["--build-arg", f"BASE={options.base}"]
    if options.ca_bundle is not None:
        command += ["--secret", f"id=ca,src={options.ca_bundle}"]
    return [*command, str(ROOT)]


def push_command(
    engine: Engine, ref: str, *, tls_verify: bool = True, prefix: Sequence[str] = ()
) -> list[str]:
    """The push command line; ``tls_verify=False`` for a plain-HTTP registry (podman only:
    docker takes such registries from its daemon's insecure-registries setting)."""
    command = [*(prefix or [engine.value]), "push"]
    if not tls_verify and engine is Engine.PODMAN:
        command.append("--tls-verify=false")
    return [*command, ref]


SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def default_ca_bundle(
    environ: dict[str, str] | None = None, system: Path = SYSTEM_CA_BUNDLE
) -> Path | None:
    """What this machine trusts for the package index: $SSL_CERT_FILE when it names a file, else
    Debian's system bundle when present (it includes a local proxy's CA once installed)."""
    value = (os.environ if environ is None else environ).get("SSL_CERT_FILE", "")
    if value and Path(value).is_file():
        return Path(value)
    return system if system.is_file() else None


def git_revision() -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def parse_services(names: Sequence[str]) -> list[Service]:
    """The services named (all when none); an unknown name is an error listing the known."""
    try:
        return [Service(name) for name in names] if names else list(Service)
    except ValueError:
        known = ", ".join(s.value for s in Service)
        raise ImageError(f"unknown service in {list(names)}; known: {known}") from None
