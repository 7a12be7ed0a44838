"""Fixtures for the image tests: the built image (build/image, or $BESKAR7_IMAGE) when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from beskar7.image import cpio
from beskar7.image.tree import Entry

REPO = Path(__file__).resolve().parents[3]
IMAGE = Path(os.environ.get("BESKAR7_IMAGE", REPO / "build" / "image"))
BUILT = all((IMAGE / name).is_file() for name in ("vmlinuz", "initrd.img", "target.tar.gz"))
NOT_BUILT = f"no image in {IMAGE}: build it with `make image`"


@pytest.fixture(scope="session")
def initrd_entries() -> dict[str, Entry]:
    if not BUILT:
        pytest.skip(NOT_BUILT)
    return {entry.path: entry for entry in cpio.read((IMAGE / "initrd.img").read_bytes())}
