"""Pinning deploy/images.env into the manifests (on copies, never the real files)."""

import re
from pathlib import Path

import pytest

from deploy import pins
from deploy.images import Coordinates, ImageError


def test_each_pin_rewrites_only_its_reference() -> None:
    where = Coordinates("127.0.0.1:5000/admin", "v9.9.9")
    texts = pins.pinned(where)
    manager = texts[pins.BESKAR7_MANAGER]
    assert "${BESKAR7_IMAGE:=127.0.0.1:5000/admin/beskar7:v9.9.9}" in manager
    hub = texts[pins.HUB_KUSTOMIZATION]
    assert "newName: 127.0.0.1:5000/admin/felhom-hub\n" in hub and "newTag: v9.9.9\n" in hub
    compose = texts[pins.CONTROLLER_COMPOSE]
    assert "${FELHOM_CONTROLLER_IMAGE:-127.0.0.1:5000/admin/felhom-controller:v9.9.9}" in compose
    # everything else is untouched
    original = pins.BESKAR7_MANAGER.read_text(encoding="utf-8")
    assert re.sub(r"BESKAR7_IMAGE:=[^}]*", "", manager) == re.sub(
        r"BESKAR7_IMAGE:=[^}]*", "", original
    )


def test_a_file_without_exactly_one_reference_is_an_error(tmp_path: Path) -> None:
    pin = pins.PINS[0]
    with pytest.raises(ImageError, match="expected one image reference, found 2"):
        pin.apply("${BESKAR7_IMAGE:=a:1}\n${BESKAR7_IMAGE:=b:2}\n", Coordinates("r", "t"))
    with pytest.raises(ImageError, match="found 0"):
        pin.apply("image: somewhere/else:1\n", Coordinates("r", "t"))
