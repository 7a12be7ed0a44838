"""The OS family -> configuration parameter table."""

from __future__ import annotations

import pytest

from beskar7.api.machine import OSFamily
from beskar7.inspector.osfamily import (
    CONFIG_PARAMETERS,
    UnknownOSFamilyError,
    config_parameter,
    families,
    seed_config_url,
)

URL = "http://10.0.2.2:8082/config/default/vm-01"


@pytest.mark.parametrize(
    ("family", "parameter"),
    [
        ("kairos", f"config_url={URL}"),
        ("talos", f"talos.config={URL}"),
        ("flatcar", f"flatcar.ignition.config.url={URL}"),
        ("leap-micro", f"combustion.path={URL}"),
        ("cloud-init", f"ds=nocloud-net;s={URL}"),
    ],
)
def test_each_family_gets_its_parameter(family: str, parameter: str) -> None:
    assert config_parameter(family, URL) == parameter


def test_exactly_the_five_families() -> None:
    assert families() == ["cloud-init", "flatcar", "kairos", "leap-micro", "talos"]
    assert set(CONFIG_PARAMETERS) == set(families())


def test_no_url_means_no_parameter() -> None:
    assert config_parameter("talos", None) is None
    assert config_parameter("talos", "") is None
    assert config_parameter(None, None) is None


@pytest.mark.parametrize("family", ["ubuntu", "Kairos", "leap_micro", ""])
def test_unknown_families_are_errors(family: str) -> None:
    with pytest.raises(UnknownOSFamilyError, match="unknown OS family"):
        config_parameter(family, URL)
    with pytest.raises(UnknownOSFamilyError):
        config_parameter(family, None)


def test_a_url_without_a_family_is_an_error() -> None:
    with pytest.raises(UnknownOSFamilyError, match="needs an OS family"):
        config_parameter(None, URL)


def test_the_inspector_knows_every_family_the_api_accepts() -> None:
    assert set(CONFIG_PARAMETERS) == {family.value for family in OSFamily}


SEED = "http://10.0.2.2:8082/api/v1/seed/default/vm-01/secret/"


@pytest.mark.parametrize(
    ("family", "parameter"),
    [
        ("kairos", f"config_url={SEED}user-data"),
        ("talos", f"talos.config={SEED}user-data"),
        ("flatcar", f"flatcar.ignition.config.url={SEED}user-data"),
        ("leap-micro", f"combustion.path={SEED}user-data"),
        ("cloud-init", f"ds=nocloud-net;s={SEED}"),
    ],
)
def test_beskar7s_seed_goes_to_each_family_as_the_document_or_the_nocloud_directory(
    family: str, parameter: str
) -> None:
    assert config_parameter(family, seed_config_url(family, SEED)) == parameter
