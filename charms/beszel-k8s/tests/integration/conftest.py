"""Integration fixtures: a temporary Juju model and the packed charm.

Run with a Juju 3.6 controller bootstrapped on Kubernetes (e.g. MicroK8s) and a charm
packed with ``charmcraft pack``; set CHARM_PATH or leave one ``*.charm`` in this project.
"""

from __future__ import annotations

import os
import pathlib
import shutil
from collections.abc import Iterator

import jubilant
import pytest

PROJECT = pathlib.Path(__file__).resolve().parents[2]


def skip_reason() -> str | None:
    """Why integration tests cannot run here, or None when they can."""
    if shutil.which("juju") is None:
        return "juju CLI not found: integration tests need a Juju 3.6 controller on Kubernetes"
    if charm_path() is None:
        return "no packed charm: run `charmcraft pack` or set CHARM_PATH"
    return None


def charm_path() -> pathlib.Path | None:
    """The packed charm under test."""
    if env := os.environ.get("CHARM_PATH"):
        return pathlib.Path(env)
    packed = sorted(PROJECT.glob("*.charm"))
    return packed[0] if len(packed) == 1 else None


@pytest.fixture(scope="module")
def juju() -> Iterator[jubilant.Juju]:
    """A throw-away model, destroyed after the module (kept with --keep-models)."""
    keep = bool(os.environ.get("KEEP_MODELS"))
    with jubilant.temp_model(keep=keep) as model:
        model.wait_timeout = 15 * 60
        yield model
