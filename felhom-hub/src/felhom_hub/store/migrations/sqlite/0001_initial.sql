-- felhom-hub initial schema. Timestamps are UTC ISO-8601 text with microseconds and a Z suffix,
-- so that they sort and compare as text.

CREATE TABLE customer_configs (
    customer_id             TEXT PRIMARY KEY,
    status                  TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
    api_key_hash            TEXT UNIQUE,
    retrieval_password_hash TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);

CREATE TABLE reports (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id        TEXT NOT NULL,
    received_at        TEXT NOT NULL,
    controller_version TEXT NOT NULL,
    health             TEXT NOT NULL CHECK (health IN ('ok', 'warn', 'fail')),
    hostname           TEXT NOT NULL,
    controller_url     TEXT,
    monitoring_paused  INTEGER NOT NULL DEFAULT 0,
    body               TEXT NOT NULL
);
CREATE INDEX reports_customer_id ON reports (customer_id, id);
CREATE INDEX reports_received_at ON reports (received_at);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id  TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    severity     TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
    message      TEXT NOT NULL,
    details_json TEXT NOT NULL DEFAULT '{}',
    source       TEXT NOT NULL CHECK (source IN ('hub', 'controller')),
    occurred_at  TEXT,
    received_at  TEXT NOT NULL
);
CREATE INDEX events_customer_id ON events (customer_id, id);
CREATE INDEX events_received_at ON events (received_at);

CREATE TABLE infra_backups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX infra_backups_customer_id ON infra_backups (customer_id, id);

CREATE TABLE customer_notifications (
    customer_id    TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    enabled_events TEXT NOT NULL DEFAULT '[]',
    cooldown_hours INTEGER NOT NULL DEFAULT 6 CHECK (cooldown_hours >= 0),
    updated_at     TEXT NOT NULL
);

CREATE TABLE notification_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('operator', 'customer', 'relay')),
    event_type  TEXT,
    subject     TEXT NOT NULL,
    message     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'skipped', 'failed')),
    error       TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX notification_log_status ON notification_log (status, id);
CREATE INDEX notification_log_customer_id ON notification_log (customer_id, id);
