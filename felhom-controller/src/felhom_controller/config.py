"""controller.yaml: the typed settings, from a file and ``FELHOM_CONTROLLER_<SECTION>_<KEY>``.

The file is the template the hub deep-merges per customer (``controller.yaml.example``), so
every section is here even where the controller only carries a value through (infrastructure
tokens, the session secret, legacy monitoring UUIDs). Unknown keys are errors; a bad value
raises :class:`ConfigError` naming the key and where it came from, and never its value.
"""

import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from felhom_controller.vocabulary import ALL_EVENT_TYPES

ENV_PREFIX = "FELHOM_CONTROLLER_"
CONFIG_ENV = "FELHOM_CONTROLLER_CONFIG"
DEFAULT_PATH = Path("/etc/felhom/controller.yaml")

_CUSTOMER_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
Percent = Annotated[float, Field(ge=0, le=100)]
Seconds = Annotated[float, Field(gt=0, le=86400)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class IdentitySettings(_Section):
    customer_id: str = Field(default="unconfigured", pattern=_CUSTOMER_ID)
    hostname: str = Field(default_factory=socket.gethostname, min_length=1, max_length=253)
    display_name: str = ""


class HubSettings(_Section):
    url: str = "http://127.0.0.1:8080"
    api_key: str = ""
    timeout_seconds: Seconds = 10.0

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")


class ReportSettings(_Section):
    interval_seconds: Annotated[float, Field(ge=5, le=86400)] = 900.0
    jitter_percent: Annotated[float, Field(ge=0, le=50)] = 10.0


class SpoolSettings(_Section):
    max_items: Annotated[int, Field(ge=10, le=100_000)] = 2000
    retry_initial_seconds: Seconds = 5.0
    retry_max_seconds: Seconds = 900.0


class EngineSettings(_Section):
    enabled: bool = True
    socket: Path = Path("/var/run/docker.sock")
    timeout_seconds: Seconds = 5.0


class StorageSettings(_Section):
    mounts: list[str] = Field(default_factory=list, description="empty: every real filesystem")
    exclude_fs_types: list[str] = Field(
        default_factory=lambda: ["tmpfs", "devtmpfs", "overlay", "squashfs", "nsfs"]
    )


class HealthRules(_Section):
    mount_warn_percent: Percent = 90.0
    mount_fail_percent: Percent = 95.0
    unhealthy_container: str = Field(default="warn", pattern="^(ok|warn|fail)$")
    stopped_container: str = Field(default="warn", pattern="^(ok|warn|fail)$")
    failed_backup: str = Field(default="warn", pattern="^(ok|warn|fail)$")
    cert_warn_days: Annotated[int, Field(ge=1, le=365)] = 14


def split_listen(listen: str) -> tuple[str, int]:
    """``"0.0.0.0:8090"`` → ("0.0.0.0", 8090); ``"[::1]:8090"``; ``":8090"`` is all addresses."""
    match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]*):(\d{1,5})", listen.strip())
    if not match or not 0 < int(match.group(2)) < 65536:
        raise ValueError(f"{listen!r} is not host:port (e.g. '0.0.0.0:8090'); empty disables")
    return match.group(1).strip("[]") or "0.0.0.0", int(match.group(2))


class CertificateSettings(_Section):
    files: list[Path] = Field(default_factory=list, description="PEM certificates to watch")


class SmartSettings(_Section):
    enabled: bool = True
    timeout_seconds: Seconds = 20.0


class ApiSettings(_Section):
    listen: str = "0.0.0.0:8090"
    public_url: str = ""
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value:
            split_listen(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _http_or_empty(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be empty or an http:// or https:// URL")
        return value.rstrip("/")


class NotificationSettings(_Section):
    email: str = Field(default="", pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    enabled_events: list[str] = Field(default_factory=list)
    cooldown_hours: Annotated[int, Field(ge=0, le=720)] = 6

    @field_validator("enabled_events")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - ALL_EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event types {unknown}; see docs/felhom-controller.md")
        return value


class MonitoringSettings(_Section):
    paused: bool = False
    legacy_uuids: dict[str, str] = Field(default_factory=dict)


class InfrastructureSettings(_Section):
    tokens: dict[str, str] = Field(default_factory=dict)
    session_secret: str = ""


class ResticRepository(_Section):
    name: str = Field(min_length=1, max_length=255)
    repository: str = Field(min_length=1)
    password: str = Field(default="", description="empty: backup.restic_password")


class DbDumpDirectory(_Section):
    name: str = Field(min_length=1, max_length=255)
    directory: Path
    pattern: str = "*"


class BackupSettings(_Section):
    restic_repositories: list[ResticRepository] = Field(default_factory=list)
    dbdump_directories: list[DbDumpDirectory] = Field(default_factory=list)
    max_age_hours: Annotated[float, Field(gt=0, le=24 * 31)] = 26.0
    command_timeout_seconds: Seconds = 120.0
    settings_json: Path = Path("/etc/felhom/settings.json")
    restic_password: str = ""
    restic_cross_drive_password: str = ""
    infra_backup_interval_hours: Annotated[float, Field(gt=0, le=24 * 31)] = 24.0
    fstab: Path = Path("/etc/fstab")
    stacks: list[dict[str, str]] = Field(
        default_factory=list, description="deployed stacks: name, display_name, hdd_path"
    )


class UpdateSettings(_Section):
    container: str = Field(default="", description="the controller's own container; empty: none")
    registry_url: str = "https://gitea.dooplex.hu"
    image: str = "admin/felhom-controller"
    username: str = ""
    token: str = ""
    command: list[str] = Field(
        default_factory=list, description="outside a container: the self-update command"
    )
    timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 600.0


class Settings(_Section):
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    hub: HubSettings = Field(default_factory=HubSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    spool: SpoolSettings = Field(default_factory=SpoolSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    smart: SmartSettings = Field(default_factory=SmartSettings)
    certificates: CertificateSettings = Field(default_factory=CertificateSettings)
    health: HealthRules = Field(default_factory=HealthRules)
    api: ApiSettings = Field(default_factory=ApiSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    infrastructure: InfrastructureSettings = Field(default_factory=InfrastructureSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    update: UpdateSettings = Field(default_factory=UpdateSettings)
    state_dir: Path = Path("/var/lib/felhom-controller")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the offending key."""


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Overrides from the environment, and which variable set each dotted key."""
    overrides: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX) or var == CONFIG_ENV:
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        value = _env_value(value, var)
        if rest in Settings.model_fields and rest != "identity":
            overrides[rest] = value
            origin[rest] = var
            continue
        section = next((s for s in Settings.model_fields if rest.startswith(s + "_")), "")
        fields = getattr(Settings.model_fields[section].annotation, "model_fields", {})
        key = rest[len(section) + 1 :]
        if not section or key not in fields:
            raise ConfigError(f"{var}: no such setting (expected {ENV_PREFIX}<SECTION>_<KEY>)")
        overrides.setdefault(section, {})[key] = value
        origin[f"{section}.{key}"] = var
    return overrides, origin


def _env_value(value: str, var: str) -> Any:
    """Lists and mappings come as YAML flow text (``[a, b]``, ``{k: v}``); the rest as text."""
    if not value.lstrip().startswith(("[", "{")):
        return value
    try:
        return YAML(typ="safe").load(value)
    except YAMLError:
        raise ConfigError(f"{var}: not a valid YAML list or mapping") from None


def parse_yaml(text: str, where: str) -> dict[str, Any]:
    """The top-level mapping of a controller.yaml text; ConfigError when it is not one."""
    try:
        data = YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the top level must be a mapping of sections")
    return data


def validate(data: dict[str, Any], where: str, origin: Mapping[str, str] | None = None) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, where, origin or {})) from None


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (if given), apply environment overrides, validate everything."""
    text = ""
    if path is not None:
        try:
            text = path.read_text()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    return load_text(text, str(path) if path else "defaults", environ)


def load_text(text: str, where: str, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from a controller.yaml text plus the environment's overrides."""
    environ = os.environ if environ is None else environ
    data = parse_yaml(text, where)
    overrides, origin = _env_overrides(environ)
    for section, values in overrides.items():
        current = data.get(section)
        if isinstance(values, dict) and isinstance(current, dict):
            values = {**current, **values}
        data[section] = values
    return validate(data, where, origin)


def config_path(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """--config, else $FELHOM_CONTROLLER_CONFIG, else /etc/felhom/controller.yaml if present."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return DEFAULT_PATH if DEFAULT_PATH.exists() else None


def _describe(exc: ValidationError, where: str, origin: Mapping[str, str]) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        source = origin.get(key) or where
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{key}: {message} (from {source})")
    return "invalid configuration:\n  " + "\n  ".join(lines)
