"""Which controller.yaml.example generation uses: the last good copy fetched from
``registry.template_url``, else the felhom-controller package's own example."""

import importlib.util
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from felhom_hub.configs.merge import TemplateError, load
from felhom_hub.store import templates

EXAMPLE = "controller.yaml.example"
PACKAGE_SOURCE = "the felhom-controller package's example"


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    source: str  # the URL, or PACKAGE_SOURCE
    fetched_at: datetime | None
    error: str | None  # the latest fetch's error, shown on pages


def package_example() -> str | None:
    """The example shipped with felhom-controller: inside an installed wheel, or next to the
    package's ``src/`` folder in a source checkout; None when felhom-controller is absent."""
    spec = importlib.util.find_spec("felhom_controller")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    for candidate in (folder / EXAMPLE, folder.parent.parent / EXAMPLE):
        if candidate.is_file():
            return candidate.read_text()
    return None


def check_template(text: str) -> None:
    """TemplateError unless ``text`` looks like a controller.yaml (a mapping with the
    sections the hub writes into)."""
    document: Any = load(text)
    for section in ("identity", "hub"):
        if not isinstance(document.get(section), dict):
            raise TemplateError(f"the template has no {section!r} section")


def current(state: templates.TemplateState | None) -> Template | None:
    """The template to generate from; None when neither a fetched copy nor the package's
    example is available."""
    error = state.error if state else None
    if state is not None and state.body is not None:
        return Template(state.body, state.source, state.fetched_at, error)
    example = package_example()
    return None if example is None else Template(example, PACKAGE_SOURCE, None, error)
