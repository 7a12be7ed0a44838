"""iPXE scripts: the per-host inspection boot, the opaque wait-and-retry, the DHCP entry point.

Pure text rendering. Every value that lands in a script is checked against a conservative
character set (no whitespace, quotes, backslashes, `$`, braces, `|`, control or non-ASCII
characters), so no value can add a kernel parameter, an iPXE command or a setting expansion;
a value that fails is refused, never escaped or truncated, and so is a kernel command line
longer than `MAX_CMDLINE_BYTES`.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

MAX_CMDLINE_BYTES = 4096
"""Linux's x86 COMMAND_LINE_SIZE: the kernel parameters after the image URL must fit."""
RETRY_SECONDS = 10
KERNEL_NAME = "vmlinuz"
INITRD_NAME = "initrd.img"
BY_MAC_PATH = "/api/v1/boot/by-mac"

_SAFE = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!&()*+,;=%-]+")
_MAC = re.compile(r"[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}")


class RenderError(ValueError):
    """The script cannot be rendered safely; the message names the field, not its value."""


def check_safe(field: str, value: str) -> str:
    if not _SAFE.fullmatch(value):
        raise RenderError(f"{field} contains characters not allowed in an iPXE script")
    return value


def normalize_mac(value: str | None) -> str | None:
    """`aa:bb:cc:dd:ee:ff` for a well-formed MAC (colons, hyphens, URL-encoded, any case);
    None for anything else."""
    if not value:
        return None
    text = unquote(value).strip().lower()
    if not _MAC.fullmatch(text):
        return None
    return text.replace("-", ":")


def bootif(mac: str) -> str:
    """The `BOOTIF=` value for an Ethernet MAC in `normalize_mac` form."""
    return "01-" + mac.replace(":", "-")


def path_url(base: str, *segments: str, mac: str | None = None) -> str:
    """`<base>/<segment>/...[?mac=<mac>]`, each segment percent-encoded (safe whatever the
    client asked for); `mac` must already be normalized."""
    path = "".join("/" + quote(s, safe="") for s in segments)
    return base + path + (f"?mac={mac}" if mac else "")


@dataclass(frozen=True)
class BootParams:
    api: str
    """The callback server's base URL."""
    token: str
    namespace: str
    host: str
    inspection_image: str
    """Base URL serving `vmlinuz` and `initrd.img`."""
    target: str
    timeout: int
    console: str
    config: str | None = None
    os_family: str | None = None
    mac: str | None = None
    """Normalized MAC of the booting interface, for `BOOTIF=`."""


def image_base(inspection_image: str) -> str:
    return inspection_image.rstrip("/")


def kernel_parameters(p: BootParams) -> list[str]:
    """The kernel command line as a list of parameters, every value checked."""
    values: list[tuple[str, str | None]] = [
        ("beskar7.api", p.api),
        ("beskar7.token", p.token),
        ("beskar7.namespace", p.namespace),
        ("beskar7.host", p.host),
        ("beskar7.target", p.target),
        ("beskar7.config", p.config),
        ("beskar7.os", p.os_family),
        ("beskar7.timeout", str(p.timeout)),
        ("BOOTIF", bootif(p.mac) if p.mac else None),
    ]
    params = [f"initrd={INITRD_NAME}"]
    params += [f"{key}={check_safe(key, value)}" for key, value in values if value]
    params += [check_safe("console", part) for part in p.console.split()]
    return params


def render_boot_script(p: BootParams, retry_url: str) -> str:
    """The inspection boot script; `retry_url` is chained again after any failure."""
    image = check_safe("inspectionImage", image_base(p.inspection_image))
    cmdline = " ".join(kernel_parameters(p))
    if len(cmdline.encode()) > MAX_CMDLINE_BYTES:
        raise RenderError(f"kernel command line exceeds {MAX_CMDLINE_BYTES} bytes")
    return "\n".join(
        [
            "#!ipxe",
            f"echo beskar7: booting the inspection image for {p.namespace}/{p.host}",
            f"kernel {image}/{KERNEL_NAME} {cmdline} || goto retry",
            f"initrd {image}/{INITRD_NAME} || goto retry",
            "boot || goto retry",
            *_retry_block(check_safe("retry URL", retry_url)),
        ]
    )


def _retry_block(retry_url: str) -> list[str]:
    return [
        ":retry",
        f"echo beskar7: boot failed, retrying in {RETRY_SECONDS} s",
        f"sleep {RETRY_SECONDS}",
        f"chain --replace {retry_url} || goto retry",
        "",
    ]


def waiting_script(retry_url: str) -> str:
    """What every refused boot request gets: wait, then ask again (reveals nothing)."""
    url = check_safe("retry URL", retry_url)
    return "\n".join(
        [
            "#!ipxe",
            "echo beskar7: nothing to boot yet",
            f"sleep {RETRY_SECONDS}",
            f"chain --replace {url} || goto retry",
            ":retry",
            f"sleep {RETRY_SECONDS}",
            f"chain --replace {url} || goto retry",
            "",
        ]
    )


def dhcp_script(base: str) -> str:
    """The static entry point for DHCP setups: configure the network (an interface that is
    already configured may fail DHCP), then chain the by-MAC boot endpoint until it answers."""
    url = check_safe("base URL", base) + BY_MAC_PATH + "?mac=${net0/mac}"
    return "\n".join(
        [
            "#!ipxe",
            ":net",
            "dhcp || isset ${net0/ip} || goto net_retry",
            ":chain",
            f"chain --replace {url} || goto chain_retry",
            ":chain_retry",
            "echo beskar7: nothing to boot yet",
            f"sleep {RETRY_SECONDS}",
            "goto chain",
            ":net_retry",
            "echo beskar7: no DHCP answer yet",
            f"sleep {RETRY_SECONDS}",
            "goto net",
            "",
        ]
    )
