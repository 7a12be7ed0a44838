"""Config validation and the Blocked message naming the option."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from config import EXPECTED_IMAGE, BeszelConfig, LogLevel, describe_error

CHARMCRAFT = Path(__file__).resolve().parents[2] / "charmcraft.yaml"


def test_defaults_are_valid_and_pinned() -> None:
    config = BeszelConfig()
    assert config.port == 8090
    assert config.s3_region == "us-east-1"
    assert config.log_level is LogLevel.INFO


@pytest.mark.parametrize(
    ("level", "slog"), [("debug", -4), ("info", 0), ("warn", 4), ("error", 8)]
)
def test_log_level_maps_to_slog(level: str, slog: int) -> None:
    assert LogLevel(level).slog_level == slog


@pytest.mark.parametrize(
    ("options", "option_name"),
    [
        ({"log_level": "verbose"}, "log-level"),
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"external_hostname": "https://b.example.com"}, "external-hostname"),
        ({"s3_endpoint": "s3.example.com"}, "s3-endpoint"),
        ({"s3_region": " "}, "s3-region"),
    ],
)
def test_describe_error_names_the_option(options: dict[str, Any], option_name: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        BeszelConfig(**options)
    assert describe_error(caught.value).startswith(f"invalid config {option_name}:")


def test_every_declared_option_is_read_by_the_charm() -> None:
    """An option in charmcraft.yaml that the config model ignores would do nothing."""
    declared = yaml.safe_load(CHARMCRAFT.read_text())["config"]["options"]
    read = {name.replace("_", "-") for name in BeszelConfig.model_fields}
    assert set(declared) == read
    assert "container-image" not in declared


def test_resource_names_the_tested_image() -> None:
    resource = yaml.safe_load(CHARMCRAFT.read_text())["resources"]["beszel-image"]
    assert resource["upstream-source"] == EXPECTED_IMAGE
    assert "--resource beszel-image=" in resource["description"]
