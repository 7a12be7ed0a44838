"""Settings of the callback server, and the base URL every address handed to a server uses."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""The wall clock (aware, UTC); tests pass a fake one."""

DEFAULT_PORT = 8082
DEFAULT_CONSOLE = "console=tty0 console=ttyS0,115200"
_URL_BASE = re.compile(r"^https?://[A-Za-z0-9._~:\[\]@!&()*+,;=%/-]+$")


def utc_now() -> datetime:
    return datetime.now(UTC)


def url_base_for(host: str, port: int, scheme: str = "http") -> str:
    """`http://<host>:<port>`, IPv6 hosts in brackets."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{scheme}://{shown}:{port}"


@dataclass
class CallbackSettings:
    bootstrap_url_base: str = ""
    """Base of every URL handed to a server (`beskar7.api=`, the iPXE retry chain), e.g.
    `http://10.0.2.2:8082`. Empty: the address the server was reached on (the listening
    socket's local address for that connection, never the client's Host header)."""
    inspection_timeout: float = 600.0
    """Seconds; the `beskar7.timeout=` kernel parameter."""
    deployment_window: float = 1200.0
    """Seconds a token stays valid after the inspection timeout, so that the final OS, kexec'd
    after validation, can still report `provisioned` with it (upstream allows 20 minutes)."""
    seed_lifetime: float = 900.0
    """Seconds the final OS's seed URL (user-data, meta-data) stays valid after the hand-off:
    enough to download the target OS, kexec and boot it."""
    max_body_bytes: int = 1 << 20
    boot_rate: float = 1.0
    """Boot script renders per second per client address (token bucket refill)."""
    boot_burst: int = 5
    console: str = DEFAULT_CONSOLE
    """Kernel console parameters, appended to the inspection image's command line."""

    @property
    def token_lifetime(self) -> float:
        """Seconds from minting a token until it expires: inspection, then deployment."""
        return self.inspection_timeout + self.deployment_window

    def __post_init__(self) -> None:
        self.bootstrap_url_base = self.bootstrap_url_base.strip().rstrip("/")
        base = self.bootstrap_url_base
        if base and not _URL_BASE.match(base):
            raise ValueError("bootstrap URL base must be an http(s) URL without spaces or quotes")
        if self.inspection_timeout <= 0 or self.deployment_window < 0:
            raise ValueError("inspection timeout must be positive, deployment window not negative")
        if self.seed_lifetime <= 0:
            raise ValueError("seed lifetime must be positive")
        if self.max_body_bytes < 1:
            raise ValueError("max body bytes must be positive")
        if self.boot_rate <= 0 or self.boot_burst < 1:
            raise ValueError("boot rate must be positive and boot burst at least 1")
