"""How each supported OS family is told where its configuration lives: one kernel parameter.

Without `beskar7.config` the inspector hands the final OS beskar7's own seed (callback/seed.py):
`<seed>user-data` to the families that fetch one document, the seed directory itself to the
generic cloud-init family (NoCloud over the network: `ds=nocloud-net;s=<seed>`).
"""

from __future__ import annotations

CONFIG_PARAMETERS: dict[str, str] = {
    "kairos": "config_url",
    "talos": "talos.config",
    "flatcar": "flatcar.ignition.config.url",
    "leap-micro": "combustion.path",
    "cloud-init": "ds",
}
"""OS family -> the kernel parameter that carries the configuration URL."""
CLOUD_INIT = "cloud-init"
NOCLOUD_NET = "nocloud-net"
USER_DATA = "user-data"


class UnknownOSFamilyError(ValueError):
    """The OS family is not one of CONFIG_PARAMETERS."""


def families() -> list[str]:
    return sorted(CONFIG_PARAMETERS)


def check_family(os_family: str) -> str:
    """The family itself when it is known, else UnknownOSFamilyError naming the known ones."""
    if os_family not in CONFIG_PARAMETERS:
        known = ", ".join(families())
        raise UnknownOSFamilyError(f"unknown OS family {os_family!r} (known: {known})")
    return os_family


def config_parameter(os_family: str | None, url: str | None) -> str | None:
    """`config_url=<url>` and friends; None when there is no configuration URL.

    An unknown family is an error, and so is a URL without a family: guessing which parameter
    the final OS reads would boot it unconfigured.
    """
    if os_family is not None:
        check_family(os_family)
    if not url:
        return None
    if os_family is None:
        raise UnknownOSFamilyError("a configuration URL needs an OS family (beskar7.os)")
    if os_family == CLOUD_INIT:
        return f"ds={NOCLOUD_NET};s={url}"
    return f"{CONFIG_PARAMETERS[os_family]}={url}"


def seed_config_url(os_family: str | None, seed: str) -> str:
    """The URL the family's parameter carries for beskar7's seed (`seed` ends with `/`)."""
    return seed if os_family in (None, CLOUD_INIT) else seed + USER_DATA
