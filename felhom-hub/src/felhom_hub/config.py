"""hub.yaml: the typed settings, loaded from a file and ``FELHOM_HUB_<SECTION>_<KEY>`` variables.

Every key of the file can be overridden by an environment variable, e.g.
``FELHOM_HUB_API_REPORT_API_KEY`` or ``FELHOM_HUB_SERVER_LISTEN``. Validation happens once, at
start-up; a bad value raises :class:`ConfigError` naming the key (and the variable it came from).
"""

import ipaddress
import os
import re
from collections.abc import Mapping
from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from felhom_hub.durations import format_duration, parse_duration
from felhom_hub.storage import StorageSettings

ENV_PREFIX = "FELHOM_HUB_"
CONFIG_ENV = "FELHOM_HUB_CONFIG"


def _duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


Duration = Annotated[
    timedelta, BeforeValidator(_duration), PlainSerializer(format_duration, return_type=str)
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PASSWORD_HASH = re.compile(r"^\$(argon2(id|i|d)|2[aby])\$")


def _optional_url(value: str) -> str:
    if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ValueError("must be an http(s) URL or empty")
    return value.rstrip("/")


def _split_commas(value: Any) -> Any:
    """``"a, b"`` (as an environment variable gives a list) -> ["a", "b"]."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


OptionalUrl = Annotated[str, AfterValidator(_optional_url)]


def split_listen(listen: str) -> tuple[str, int]:
    """``":8080"`` → ("0.0.0.0", 8080); ``"127.0.0.1:8080"``; ``"[::1]:8080"``."""
    match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]*):(\d{1,5})", listen.strip())
    if not match or not 0 < int(match.group(2)) < 65536:
        raise ValueError(f"{listen!r} is not host:port (e.g. ':8080' or '127.0.0.1:8080')")
    host = match.group(1).strip("[]") or "0.0.0.0"
    return host, int(match.group(2))


def hh_mm(value: Any) -> Any:
    """``"04:30"`` -> time(4, 30); other types are left to pydantic."""
    if isinstance(value, str):
        # HH:MM as written by people, HH:MM:SS as the settings serialize themselves.
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", value.strip()):
            raise ValueError(f"{value!r} is not a time of day; use HH:MM, e.g. '04:30'")
        hours, minutes = value.strip().split(":")[:2]
        return time(int(hours), int(minutes))
    return value


def within(value: timedelta, low: timedelta, high: timedelta) -> timedelta:
    """``value`` unless outside [low, high]; then a ValueError naming the bounds."""
    if not low <= value <= high:
        raise ValueError(f"must be between {format_duration(low)} and {format_duration(high)}")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class AuthSettings(_Section):
    password_hash: str = ""
    # Dashboard sessions (see docs/felhom-hub.md, "Dashboard"): the key that signs session
    # cookies (created on first start; default <data_dir>/session.key), and the proxies whose
    # X-Forwarded-For / X-Forwarded-Proto are believed.
    session_secret_file: Path | None = None
    trusted_proxies: list[str] = []

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return (
            [part.strip() for part in value.split(",") if part.strip()]
            if isinstance(value, str)
            else value
        )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            ipaddress.ip_address(address)  # ValueError names the bad one
        return value

    @field_validator("password_hash")
    @classmethod
    def _known_hash(cls, value: str) -> str:
        if value and not _PASSWORD_HASH.match(value):
            raise ValueError("must be an Argon2 or bcrypt hash (see 'felhom-hub hash-password')")
        return value


class ApiSettings(_Section):
    report_api_key: str = ""
    # Per-customer keys only; the global key is the operator's and is not limited.
    rate_limit_per_minute: int = Field(default=120, ge=1, le=1_000_000)
    daily_bytes_per_key: int = Field(default=64 * 1024 * 1024, ge=1024 * 1024, le=1 << 40)

    @field_validator("report_api_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("must be at least 16 characters (or empty to disable the global key)")
        return value


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class SmtpSettings(_Section):
    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str = ""
    password: str = ""
    timeout: Duration = timedelta(seconds=30)

    @field_validator("timeout")
    @classmethod
    def _sane_timeout(cls, value: timedelta) -> timedelta:
        return within(value, timedelta(seconds=1), timedelta(minutes=5))


class Transport(StrEnum):
    AUTO = "auto"  # SMTP when smtp.host is set, else Resend when resend_api_key is, else none
    RESEND = "resend"
    SMTP = "smtp"
    NONE = "none"  # decisions are still logged; queued notifications wait


class NotificationSettings(_Section):
    resend_api_key: str = ""
    resend_api_url: str = "https://api.resend.com"
    transport: Transport = Transport.AUTO
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    from_email: str = "monitoring@felhom.eu"
    operator_email: str = ""
    operator_enabled: bool = True
    operator_cooldown: Duration = timedelta(hours=1)

    @field_validator("operator_cooldown")
    @classmethod
    def _sane_cooldown(cls, value: timedelta) -> timedelta:
        return within(value, timedelta(0), timedelta(days=30))

    @field_validator("resend_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @property
    def chosen_transport(self) -> Transport:
        if self.transport is not Transport.AUTO:
            return self.transport
        if self.smtp.host:
            return Transport.SMTP
        return Transport.RESEND if self.resend_api_key else Transport.NONE

    @field_validator("from_email", "operator_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value


class RetentionSettings(_Section):
    max_days: int = Field(default=90, ge=1, le=3650)
    raw_days: int = Field(default=7, ge=1, le=3650)
    hourly_days: int = Field(default=30, ge=1, le=3650)
    prune_schedule: time = time(4, 30)
    infra_backup_versions: int = Field(default=10, ge=1, le=1000)

    @field_validator("prune_schedule", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        return hh_mm(value)


class AlertingSettings(_Section):
    stale_threshold: Duration = timedelta(minutes=30)
    check_interval: Duration = timedelta(seconds=60)
    backup_check_at: time = time(5, 0)  # Europe/Budapest
    flap_limit: int = Field(default=4, ge=1, le=1000)  # node transitions per hour before damping
    heartbeat_url: str = ""  # POSTed a fleet summary every heartbeat_interval when set
    heartbeat_interval: Duration = timedelta(minutes=1)

    @field_validator("stale_threshold")
    @classmethod
    def _sane_threshold(cls, value: timedelta) -> timedelta:
        return within(value, timedelta(seconds=5), timedelta(days=7))

    @field_validator("check_interval", "heartbeat_interval")
    @classmethod
    def _sane_interval(cls, value: timedelta) -> timedelta:
        return within(value, timedelta(seconds=1), timedelta(hours=1))

    @field_validator("backup_check_at", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        return hh_mm(value)

    @field_validator("heartbeat_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError("must be an http(s) URL or empty")
        return value


class RegistrySettings(_Section):
    image: str = "gitea.dooplex.hu/admin/felhom-controller"
    username: str = ""
    token: str = ""
    check_interval: Duration = timedelta(minutes=30)
    # controller.yaml.example is fetched from here (empty: the felhom-controller package's own)
    template_url: OptionalUrl = ""
    template_interval: Duration = timedelta(hours=1)

    @field_validator("check_interval", "template_interval")
    @classmethod
    def _sane_interval(cls, value: timedelta) -> timedelta:
        return within(value, timedelta(seconds=10), timedelta(days=7))


class ConfigsSettings(_Section):
    """Per-customer controller.yaml (see docs/felhom-hub.md, "Customer configs")."""

    hub_url: OptionalUrl = ""  # written into each controller.yaml as hub.url (empty: template's)
    secret_keys: Annotated[list[str], BeforeValidator(_split_commas)] = []  # Fernet; first seals
    secret_key_file: Path | None = None  # default <data_dir>/config.key, created on first start
    controller_timeout: Duration = timedelta(seconds=10)

    @field_validator("secret_keys")
    @classmethod
    def _fernet_keys(cls, value: list[str]) -> list[str]:
        for number, key in enumerate(value, 1):
            if not re.fullmatch(r"[A-Za-z0-9_\-]{43}=", key):
                raise ValueError(f"key {number} is not a Fernet key (32 url-safe base64 bytes)")
        return value

    @field_validator("controller_timeout")
    @classmethod
    def _sane_timeout(cls, value: timedelta) -> timedelta:
        return within(value, timedelta(seconds=1), timedelta(minutes=5))


class ServerSettings(_Section):
    listen: str = ":8080"
    data_dir: Path = Path("/data")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Bounds on what clients can make the hub hold at once (see docs/felhom-hub.md, "Limits").
    max_connections: int = Field(default=256, ge=8, le=100_000)
    max_inflight_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024 * 1024, le=1 << 34)
    body_timeout: Duration = timedelta(seconds=30)
    keep_alive_timeout: Duration = timedelta(seconds=5)

    @field_validator("body_timeout", "keep_alive_timeout")
    @classmethod
    def _sane_timeout(cls, value: timedelta) -> timedelta:
        return within(value, timedelta(seconds=1), timedelta(minutes=10))

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        split_listen(value)
        return value

    @property
    def database_path(self) -> Path:
        return self.data_dir / "hub.db"

    @property
    def host(self) -> str:
        return split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return split_listen(self.listen)[1]


class Settings(_Section):
    auth: AuthSettings = Field(default_factory=AuthSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    alerting: AlertingSettings = Field(default_factory=AlertingSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    configs: ConfigsSettings = Field(default_factory=ConfigsSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the offending key."""


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Nested overrides from the environment, and which variable set each dotted key."""
    sections = {name: model.annotation for name, model in Settings.model_fields.items()}
    overrides: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX) or var == CONFIG_ENV:
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        section = next((s for s in sections if rest.startswith(s + "_")), None)
        key = rest[len(section) + 1 :] if section else ""
        path = _setting_path(sections.get(section or ""), key)
        if section is None or path is None:
            raise ConfigError(f"{var}: no such setting (expected {ENV_PREFIX}<SECTION>_<KEY>)")
        target = overrides.setdefault(section, {})
        for part in path[:-1]:  # a nested section, e.g. notifications.smtp
            target = target.setdefault(part, {})
        target[path[-1]] = value
        origin[".".join([section, *path])] = var
    return overrides, origin


def _setting_path(model: Any, key: str) -> list[str] | None:
    """``smtp_host`` in notifications -> ["smtp", "host"]; None when there is no such key."""
    fields = getattr(model, "model_fields", {})
    if key in fields:
        return [key]
    for name, field in fields.items():
        nested = field.annotation
        if (
            key.startswith(name + "_")
            and isinstance(nested, type)
            and issubclass(nested, BaseModel)
        ):
            rest = _setting_path(nested, key[len(name) + 1 :])
            return None if rest is None else [name, *rest]
    return None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = YAML(typ="safe").load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    except YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def _merged(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``, mappings merged key by key (the environment over the file)."""
    merged = dict(base)
    for key, value in top.items():
        current = merged.get(key)
        if isinstance(value, dict):
            merged[key] = _merged(current if isinstance(current, dict) else {}, value)
        else:
            merged[key] = value
    return merged


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (if given), apply environment overrides, validate everything."""
    environ = os.environ if environ is None else environ
    data = _read_yaml(path) if path is not None else {}
    overrides, origin = _env_overrides(environ)
    data = _merged(data, overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path, origin)) from None


def _describe(exc: ValidationError, path: Path | None, origin: dict[str, str]) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        where = origin.get(key) or (str(path) if path else "defaults")
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{key}: {message} (from {where})")
    return "invalid configuration:\n  " + "\n  ".join(lines)
