"""The inspector's settings, read from the kernel command line (`beskar7.*` and `BOOTIF`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from beskar7.inspector.osfamily import UnknownOSFamilyError, check_family, config_parameter

REDACTED = "<redacted>"
REQUIRED = ("beskar7.api", "beskar7.token", "beskar7.namespace", "beskar7.host", "beskar7.target")
DEFAULT_TIMEOUT = 600.0
DEFAULT_STATE_DIR = Path("/run/beskar7")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_BOOTIF = re.compile(r"^01-([0-9a-fA-F]{2}(?:-[0-9a-fA-F]{2}){5})$")
_TRUE = {"", "1", "true", "yes", "on"}


class SettingsError(ValueError):
    """The command line lacks a required parameter or has an unusable value."""


@dataclass(frozen=True)
class Settings:
    """Everything the inspector needs; the token never appears in repr()."""

    api: str
    token: str = field(repr=False)
    namespace: str
    host: str
    target: str
    target_initrd: str | None = None
    target_digest: str | None = None
    config: str | None = None
    os_family: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    debug: bool = False
    boot_mac: str | None = None
    """The boot NIC's MAC from `BOOTIF=01-aa-bb-...`, as `aa:bb:...`."""
    consoles: tuple[str, ...] = ()
    """The `console=` parameters, kept for the final OS."""
    poll_interval: float = 3.0
    retry_delay: float = 1.0
    retry_cap: float = 30.0
    state_dir: Path = DEFAULT_STATE_DIR
    max_target_bytes: int = 2 * 1024**3

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the token replaced by `<redacted>`."""
        return text.replace(self.token, REDACTED) if self.token else text


def split_cmdline(text: str) -> list[str]:
    """Split like the kernel: whitespace separates, double quotes group and are dropped."""
    words: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    for char in text:
        if char == '"':
            quoted = not quoted
            started = True
        elif char.isspace() and not quoted:
            if started:
                words.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        words.append("".join(current))
    return words


def parameters(text: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """`name -> value` (last one wins; a bare word has value "") and the console= words."""
    values: dict[str, str] = {}
    consoles: list[str] = []
    for word in split_cmdline(text):
        name, _, value = word.partition("=")
        values[name] = value
        if name == "console":
            consoles.append(word)
    return values, tuple(consoles)


def parse_cmdline(text: str) -> Settings:
    """Settings from a kernel command line; SettingsError names every missing parameter."""
    values, consoles = parameters(text)
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        raise SettingsError("missing kernel parameter(s): " + ", ".join(missing))
    api = _url(values, "beskar7.api")
    os_family = values.get("beskar7.os") or None
    config = _optional_url(values, "beskar7.config")
    try:
        if os_family is not None:
            check_family(os_family)
        config_parameter(os_family, config)
    except UnknownOSFamilyError as exc:
        raise SettingsError(str(exc)) from None
    return Settings(
        api=api.rstrip("/"),
        token=values["beskar7.token"],
        namespace=values["beskar7.namespace"],
        host=values["beskar7.host"],
        target=_url(values, "beskar7.target"),
        target_initrd=_optional_url(values, "beskar7.target-initrd"),
        target_digest=_digest(values.get("beskar7.target-digest")),
        config=config,
        os_family=os_family,
        timeout=_timeout(values.get("beskar7.timeout")),
        debug=values.get("beskar7.debug", "false").lower() in _TRUE,
        boot_mac=boot_mac(values.get("BOOTIF")),
        consoles=consoles,
    )


def boot_mac(bootif: str | None) -> str | None:
    """`01-aa-bb-cc-dd-ee-ff` (PXE's ARP type 1 + MAC) -> `aa:bb:cc:dd:ee:ff`; None if malformed."""
    match = _BOOTIF.match(bootif or "")
    return match.group(1).replace("-", ":").lower() if match else None


def _url(values: dict[str, str], name: str) -> str:
    url = values[name]
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http:// or https:// URL")
    return url


def _optional_url(values: dict[str, str], name: str) -> str | None:
    return _url(values, name) if values.get(name) else None


def _digest(value: str | None) -> str | None:
    if not value:
        return None
    if not _DIGEST.match(value):
        raise SettingsError("beskar7.target-digest must be sha256:<64 lowercase hex digits>")
    return value


def _timeout(value: str | None) -> float:
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value.removesuffix("s"))
    except ValueError:
        raise SettingsError(f"beskar7.timeout={value!r} is not a number of seconds") from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise SettingsError("beskar7.timeout must be a positive number of seconds")
    return seconds
