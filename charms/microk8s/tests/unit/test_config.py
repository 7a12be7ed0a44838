"""Tests for config: typed options and the option each invalid value names."""

from __future__ import annotations

from typing import Any

import pytest

from config import CharmConfig, Role


def test_it_accepts_the_defaults() -> None:
    config = CharmConfig()

    assert config.registries == []
    assert config.addons() == {"hostpath-storage": False, "rbac": False}


@pytest.mark.parametrize(
    ("value", "role"), [("", Role.CONTROL_PLANE), ("control-plane", Role.CONTROL_PLANE)]
)
def test_empty_role_means_control_plane(value: str, role: Role) -> None:
    assert Role.parse(value) is role


@pytest.mark.parametrize("channel", ["", "1.31/stable", "latest/edge", "1.31-strict/stable"])
def test_it_accepts_snap_channels(channel: str) -> None:
    assert CharmConfig(channel=channel).channel == channel


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("role", "master"),
        ("channel", "1.31/sideways"),
        ("channel", "1.31 stable"),
        ("containerd_http_proxy", "not a url"),
        ("containerd_https_proxy", "proxy:3128"),
        ("extra_sans", "a b"),
        ("containerd_custom_registries", "[{]"),
    ],
)
def test_invalid_values_name_their_option(option: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"invalid {option}"):
        kwargs: dict[str, Any] = {option: value}
        CharmConfig(**kwargs)


def test_sans_replace_the_unit_address_placeholder() -> None:
    config = CharmConfig(extra_sans="%UNIT_PUBLIC_ADDRESS%, k8s.example ,10.0.0.9")

    assert config.sans("10.0.0.1") == ["10.0.0.1", "k8s.example", "10.0.0.9"]
    assert config.sans("") == ["k8s.example", "10.0.0.9"]


def test_addons_follow_the_options() -> None:
    config = CharmConfig(hostpath_storage=True, rbac=True)

    assert config.addons() == {"hostpath-storage": True, "rbac": True}
