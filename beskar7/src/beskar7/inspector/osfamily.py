"""How each supported OS family is told where its configuration lives: one kernel parameter."""

from __future__ import annotations

CONFIG_PARAMETERS: dict[str, str] = {
    "kairos": "config_url",
    "talos": "talos.config",
    "flatcar": "flatcar.ignition.config.url",
    "leap-micro": "combustion.path",
}
"""OS family -> the kernel parameter that carries the configuration URL."""


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
    return f"{CONFIG_PARAMETERS[os_family]}={url}"
