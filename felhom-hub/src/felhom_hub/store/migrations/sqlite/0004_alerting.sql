-- The dead man's switch, notification dispatch, maintenance windows, job slots, registry state.

-- Each customer's alert state and when its next transition falls due (epoch seconds; NULL when
-- none can: no report yet, monitoring paused, blocked, or already down). The sweep reads only
-- the due rows through the partial index.
ALTER TABLE fleet ADD COLUMN alert_state TEXT NOT NULL DEFAULT 'up'
    CHECK (alert_state IN ('up', 'stale', 'down'));
ALTER TABLE fleet ADD COLUMN alert_after INTEGER;
UPDATE fleet SET alert_after = CAST(strftime('%s', substr(received_at, 1, 19)) AS INTEGER) + 1800
    WHERE report_id IS NOT NULL AND monitoring_paused = 0;
CREATE INDEX fleet_alert_after ON fleet (alert_after) WHERE alert_after IS NOT NULL;

-- A per-customer override of alerting.stale_threshold (seconds), from the customer's config.
ALTER TABLE customer_configs ADD COLUMN stale_threshold_s INTEGER
    CHECK (stale_threshold_s IS NULL OR stale_threshold_s BETWEEN 60 AND 604800);

-- Events still to pass the dispatcher (0); those stored before it existed count as passed.
ALTER TABLE events ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 1;
CREATE INDEX events_undispatched ON events (id) WHERE dispatched = 0;

-- The notification log gains the sending state (claimed, not yet answered), why a notification
-- was skipped or failed, its recipient, the event it came from, and retry bookkeeping.
CREATE TABLE notification_log_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id     TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('operator', 'customer', 'relay')),
    event_type      TEXT,
    event_id        INTEGER,
    recipient       TEXT,
    subject         TEXT NOT NULL,
    message         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'skipped', 'failed')),
    reason          TEXT,
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    claimed_at      TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
INSERT INTO notification_log_new (id, customer_id, channel, event_type, subject, message, status,
        error, created_at, finished_at)
    SELECT id, customer_id, channel, event_type, subject, message, status, error, created_at,
        finished_at FROM notification_log;
DROP TABLE notification_log;
ALTER TABLE notification_log_new RENAME TO notification_log;
CREATE INDEX notification_log_due ON notification_log (id) WHERE status IN ('queued', 'sending');
CREATE INDEX notification_log_customer_id ON notification_log (customer_id, id);
CREATE INDEX notification_log_cooldown
    ON notification_log (customer_id, channel, event_type, created_at);

CREATE TABLE maintenance_windows (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_windows_customer ON maintenance_windows (customer_id, ends_at);

-- Scheduled slots taken, so a daily job runs once per slot across restarts and processes.
CREATE TABLE job_runs (
    job    TEXT NOT NULL,
    slot   TEXT NOT NULL,
    ran_at TEXT NOT NULL,
    PRIMARY KEY (job, slot)
);

-- The newest controller version found in the registry, and the last check's outcome.
CREATE TABLE registry_state (
    image      TEXT PRIMARY KEY,
    newest     TEXT,
    found_at   TEXT,
    checked_at TEXT NOT NULL,
    error      TEXT
);
