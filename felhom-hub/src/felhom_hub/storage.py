"""Where the hub keeps its data: ``storage.url`` (PostgreSQL), else SQLite in ``data_dir``.

The PostgreSQL password is never part of the URL: it comes from ``storage.password`` (set it
through ``FELHOM_HUB_STORAGE_PASSWORD``) or ``storage.password_file`` (a mounted secret), and
only the driver sees it.
"""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator
from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from felhom_hub.store import Database

_DRIVERS = {"sqlite", "postgresql", "postgresql+psycopg"}  # the hub's engines and driver


class StorageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    url: str = ""  # postgresql://user@host[:port]/database[?sslmode=…]; empty: SQLite
    password: SecretStr = SecretStr("")
    password_file: Path | None = None

    @field_validator("url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value:
            parse_url(value)  # ValueError says what is wrong, without echoing a password
        return value

    @property
    def postgresql(self) -> bool:
        return bool(self.url) and parse_url(self.url).get_backend_name() == "postgresql"


def parse_url(value: str) -> URL:
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("not a database URL (postgresql://user@host/database)") from None
    if url.drivername not in _DRIVERS:
        raise ValueError(f"unsupported engine {url.drivername!r} (postgresql or sqlite)")
    if url.password is not None:
        raise ValueError(
            "must not hold a password: set FELHOM_HUB_STORAGE_PASSWORD or storage.password_file"
        )
    if url.get_backend_name() == "postgresql" and not url.database:
        raise ValueError("names no database (postgresql://user@host/database)")
    return url


def password(storage: StorageSettings) -> str | None:
    if storage.password_file is not None:
        try:
            return storage.password_file.read_text().rstrip("\r\n")
        except OSError as exc:
            raise ValueError(
                f"storage.password_file {storage.password_file}: cannot read ({exc.strerror})"
            ) from None
    return storage.password.get_secret_value() or None


def open_database(storage: StorageSettings, data_dir: Path) -> Database:
    """The configured database (not yet migrated)."""
    if not storage.url:
        return Database(data_dir / "hub.db")
    return Database(url=parse_url(storage.url), password=password(storage))


def location(value: str) -> URL:
    """A ``--from``/``--to`` of ``migrate-data``: a database URL, or a SQLite file's path."""
    if "://" not in value:
        return URL.create("sqlite", database=value)
    url = parse_url(value)
    if url.get_backend_name() == "sqlite" and not url.database:
        raise ValueError("names no file (sqlite:///path/to/hub.db)")
    return url


def same_database(a: URL, b: URL) -> bool:
    """Whether two locations name one database (the same file, or server and database)."""
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return Path(a.database or "").resolve() == Path(b.database or "").resolve()
    return (a.host or "", a.port or 5432, a.database) == (b.host or "", b.port or 5432, b.database)
