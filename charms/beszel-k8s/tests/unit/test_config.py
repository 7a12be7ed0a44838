"""Config validation and the Blocked message naming the option."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from config import BeszelConfig, LogLevel, describe_error


def test_defaults_are_valid_and_pinned() -> None:
    config = BeszelConfig()
    assert config.container_image == "henrygd/beszel:0.18.8"
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
        ({"container_image": "henrygd/beszel:latest"}, "container-image"),
        ({"container_image": "henrygd/beszel"}, "container-image"),
        ({"external_hostname": "https://b.example.com"}, "external-hostname"),
        ({"s3_endpoint": "s3.example.com"}, "s3-endpoint"),
        ({"s3_region": " "}, "s3-region"),
    ],
)
def test_describe_error_names_the_option(options: dict[str, Any], option_name: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        BeszelConfig(**options)
    assert describe_error(caught.value).startswith(f"invalid config {option_name}:")


def test_digest_pinned_image_is_valid() -> None:
    image = "henrygd/beszel@sha256:" + "a" * 64
    assert BeszelConfig(container_image=image).container_image == image
