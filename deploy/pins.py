"""Writing the image references of deploy/images.env into the manifests that name an image.

Each manifest keeps its own syntax (a clusterctl variable default, a kustomize ``images``
entry, a compose variable default); :func:`pin` rewrites just the reference, and
:func:`stale` lists the files that differ, which a test turns into a failure. beskar7's
generated infrastructure-components.yaml follows its manager.yaml.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.images import DEPLOY, ROOT, Coordinates, ImageError, Service

BESKAR7_MANAGER = ROOT / "beskar7" / "config" / "manager" / "manager.yaml"
HUB_KUSTOMIZATION = DEPLOY / "felhom-hub" / "base" / "kustomization.yaml"
CONTROLLER_COMPOSE = DEPLOY / "felhom-controller" / "compose.yaml"


@dataclass(frozen=True, slots=True)
class Pin:
    path: Path
    pattern: re.Pattern[str]
    """Groups 1 and 2 surround the reference (or the part of it) to write."""
    value: Callable[[Coordinates], str]

    def apply(self, text: str, where: Coordinates) -> str:
        found = self.pattern.findall(text)
        if len(found) != 1:
            raise ImageError(f"{self.path}: expected one image reference, found {len(found)}")
        return self.pattern.sub(lambda m: m.group(1) + self.value(where) + m.group(2), text)


PINS = (
    Pin(
        BESKAR7_MANAGER,
        re.compile(r"(\$\{BESKAR7_IMAGE:=)[^}\s]*(\})"),
        lambda c: c.ref(Service.BESKAR7),
    ),
    Pin(
        HUB_KUSTOMIZATION,
        re.compile(r"(\n\s+newName: )\S+(\n)"),
        lambda c: f"{c.registry}/{Service.HUB.value}",
    ),
    Pin(HUB_KUSTOMIZATION, re.compile(r"(\n\s+newTag: )\S+(\n)"), lambda c: c.tag),
    Pin(
        CONTROLLER_COMPOSE,
        re.compile(r"(\$\{FELHOM_CONTROLLER_IMAGE:-)[^}\s]*(\})"),
        lambda c: c.ref(Service.CONTROLLER),
    ),
)


def pinned(where: Coordinates) -> dict[Path, str]:
    """Each pinned file's text with ``where`` written in."""
    texts: dict[Path, str] = {}
    for pin in PINS:
        text = texts.get(pin.path) or pin.path.read_text(encoding="utf-8")
        texts[pin.path] = pin.apply(text, where)
    return texts


def _release() -> tuple[Path, str]:
    from beskar7.api import components

    return components.RELEASE_FILE, components.generate()


def stale(where: Coordinates) -> list[Path]:
    """The files that do not carry ``where`` (beskar7's release file included)."""
    found = [p for p, text in pinned(where).items() if p.read_text(encoding="utf-8") != text]
    release, text = _release()
    if release.read_text(encoding="utf-8") != text:
        found.append(release)
    return found


def pin(where: Coordinates) -> list[Path]:
    """Write ``where`` into every pinned file; returns the files that changed."""
    changed = []
    for path, text in pinned(where).items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    release, text = _release()
    if release.read_text(encoding="utf-8") != text:
        release.write_text(text, encoding="utf-8")
        changed.append(release)
    return changed
