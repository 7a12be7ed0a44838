"""The final OS's command line: the family's parameter, the seed, and never the bearer token."""

from __future__ import annotations

import pytest

from beskar7.inspector.kexec import final_cmdline, kexec_commands
from beskar7.inspector.settings import Settings
from tests.inspector.doubles import TOKEN

API = "http://10.0.2.2:8082"
SEED = f"{API}/api/v1/seed/default/vm-01/Zx9-secret_/"


def settings(os_family: str | None = None, config: str | None = None) -> Settings:
    return Settings(
        api=API,
        token=TOKEN,
        namespace="default",
        host="vm-01",
        target=f"{API}/images/t.tar.gz",
        config=config,
        os_family=os_family,
        consoles=("console=ttyS0",),
    )


@pytest.mark.parametrize(
    ("family", "parameter"),
    [
        ("kairos", f"config_url={SEED}user-data"),
        ("talos", f"talos.config={SEED}user-data"),
        ("flatcar", f"flatcar.ignition.config.url={SEED}user-data"),
        ("leap-micro", f"combustion.path={SEED}user-data"),
        ("cloud-init", f"ds=nocloud-net;s={SEED}"),
        (None, f"ds=nocloud-net;s={SEED}"),
    ],
)
def test_without_a_configuration_url_the_family_gets_the_seed(
    family: str | None, parameter: str
) -> None:
    line = final_cmdline(settings(family), SEED)

    assert line == (
        f"console=ttyS0 {parameter} beskar7.seed={SEED} beskar7.api={API} "
        "beskar7.namespace=default beskar7.host=vm-01"
    )


def test_a_configuration_url_wins_and_the_seed_is_still_named() -> None:
    line = final_cmdline(settings("talos", "http://cfg/talos.yaml"), SEED)

    assert line.split()[1:3] == ["talos.config=http://cfg/talos.yaml", f"beskar7.seed={SEED}"]


@pytest.mark.parametrize("family", ["kairos", "talos", "flatcar", "leap-micro", "cloud-init"])
def test_the_bearer_token_never_reaches_the_final_os(family: str) -> None:
    [load, _] = kexec_commands(settings(family), "/k", "/i", SEED)

    assert all(TOKEN not in arg for arg in load)
    assert "beskar7.token" not in load[-1]
