"""Fixtures for the image tests: the built image (build/image, or $BESKAR7_IMAGE) when present."""

from __future__ import annotations

import pytest

from beskar7.image import cpio
from beskar7.image.tree import Entry
from tests.image.built import BUILT, IMAGE, NOT_BUILT


@pytest.fixture(scope="session")
def initrd_entries() -> dict[str, Entry]:
    if not BUILT:
        pytest.skip(NOT_BUILT)
    return {entry.path: entry for entry in cpio.read((IMAGE / "initrd.img").read_bytes())}
