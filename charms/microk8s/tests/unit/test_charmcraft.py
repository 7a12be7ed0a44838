"""Tests that charmcraft.yaml matches the seed's relations and the code's config and params."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions import AddNodeTokenParams, NodeParams
from config import CharmConfig

META: dict[str, Any] = yaml.safe_load((Path(__file__).parents[2] / "charmcraft.yaml").read_text())
JUJU_TYPES = {"string": str, "boolean": bool, "integer": int}


def _defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(cls)}


def test_it_builds_with_the_uv_plugin_for_both_ubuntu_bases() -> None:
    assert META["type"] == "charm"
    assert "bases" not in META  # the unified format uses platforms
    assert {p.split(":")[0] for p in META["platforms"]} == {"ubuntu@22.04", "ubuntu@24.04"}
    assert META["parts"]["charm"]["plugin"] == "uv"
    assert "astral-uv" in META["parts"]["charm"]["build-snaps"]
    assert "juju >= 3.6" in META["assumes"]


def test_relations_are_the_seeds() -> None:
    assert META["peers"] == {"peer": {"interface": "microk8s-peer"}}
    assert META["provides"]["microk8s-provides"] == {"interface": "microk8s-info"}
    requires = META["requires"]["microk8s"]
    assert (requires["interface"], requires["limit"]) == ("microk8s-info", 1)
    assert META["provides"]["cos-agent"]["interface"] == "cos_agent"


def test_config_options_match_the_config_class() -> None:
    options = META["config"]["options"]
    defaults = _defaults(CharmConfig)

    assert set(options) == set(defaults)
    for name, option in options.items():
        assert option["default"] == defaults[name], name
        assert isinstance(defaults[name], JUJU_TYPES[option["type"]]), name


@pytest.mark.parametrize(
    ("action", "cls", "params"),
    [
        ("add-node-token", AddNodeTokenParams, {"ttl", "worker"}),
        ("drain", NodeParams, {"node", "timeout"}),
        ("uncordon", NodeParams, {"node"}),
        ("get-kubeconfig", None, set()),
    ],
)
def test_action_params_match_their_classes(
    action: str, cls: type | None, params: set[str]
) -> None:
    declared = META["actions"][action].get("params", {})

    assert set(declared) == params
    defaults = _defaults(cls) if cls else {}
    for name, spec in declared.items():
        assert spec["default"] == defaults[name], (action, name)
        assert isinstance(defaults[name], JUJU_TYPES[spec["type"]]), (action, name)
