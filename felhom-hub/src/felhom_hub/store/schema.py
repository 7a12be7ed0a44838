"""Table definitions for queries. The DDL itself lives in the numbered files under migrations/."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Dialect, Integer, MetaData, Table, Text, TypeDecorator

metadata = MetaData()

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class UtcTimestamp(TypeDecorator[datetime]):
    """An aware datetime stored as fixed-width UTC text, so text order is time order."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else to_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_text(value)


def to_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
    return value.astimezone(UTC).strftime(_FORMAT)


def from_text(value: str) -> datetime:
    return datetime.strptime(value, _FORMAT).replace(tzinfo=UTC)


customer_configs = Table(
    "customer_configs",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("api_key_hash", Text),
    Column("retrieval_password_hash", Text),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("received_at", UtcTimestamp, nullable=False),
    Column("controller_version", Text, nullable=False),
    Column("health", Text, nullable=False),
    Column("hostname", Text, nullable=False),
    Column("controller_url", Text),
    Column("monitoring_paused", Integer, nullable=False),
    Column("body", Text, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("details_json", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("occurred_at", UtcTimestamp),
    Column("received_at", UtcTimestamp, nullable=False),
)

infra_backups = Table(
    "infra_backups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("received_at", UtcTimestamp, nullable=False),
    Column("body", Text, nullable=False),
)

customer_notifications = Table(
    "customer_notifications",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("email", Text, nullable=False),
    Column("enabled_events", Text, nullable=False),
    Column("cooldown_hours", Integer, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
)

notification_log = Table(
    "notification_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("event_type", Text),
    Column("subject", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("error", Text),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("finished_at", UtcTimestamp),
)
