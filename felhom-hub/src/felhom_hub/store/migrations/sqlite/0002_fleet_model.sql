-- A store for a fleet, not a log (see docs/felhom-hub.md, "Storage model").
-- Integer times are UTC epoch microseconds (raw reports) or epoch seconds (series buckets).

-- One row per known customer: created with its config or by its first report; holds the
-- latest report whole (compressed against dict_id's dictionary, the same bytes as its raw copy)
-- and the summary columns the fleet list reads.
CREATE TABLE fleet (
    customer_id        TEXT PRIMARY KEY,
    report_id          INTEGER,
    received_at        TEXT,
    controller_version TEXT,
    health             TEXT CHECK (health IN ('ok', 'warn', 'fail')),
    hostname           TEXT,
    controller_url     TEXT,
    monitoring_paused  INTEGER NOT NULL DEFAULT 0,
    body               BLOB,
    dict_id            INTEGER,
    dict_at            INTEGER
);
CREATE INDEX fleet_dict_id ON fleet (dict_id);

-- Compression dictionaries: one of a customer's own reports, at most a day old when used.
-- A customer's reports differ in a few numbers, so against it one compresses to ~100 bytes.
CREATE TABLE report_dicts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    body        BLOB NOT NULL
);
CREATE INDEX report_dicts_created_at ON report_dicts (created_at);

-- Whole reports, kept retention.raw_days.
CREATE TABLE raw_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    dict_id     INTEGER NOT NULL,
    body        BLOB NOT NULL
);
CREATE INDEX raw_reports_customer_id ON raw_reports (customer_id, id);
CREATE INDEX raw_reports_received_at ON raw_reports (received_at);

-- Series: per customer, resolution (bucket seconds: 900, 3600, 86400) and bucket start.
-- Averages are *_sum / *_n; "last" columns hold the newest value in the bucket.
CREATE TABLE metric_series (
    customer_id          TEXT NOT NULL,
    resolution           INTEGER NOT NULL,
    bucket               INTEGER NOT NULL,
    n                    INTEGER NOT NULL,
    health               INTEGER NOT NULL,
    cpu_sum              INTEGER,
    cpu_max              INTEGER,
    cpu_n                INTEGER NOT NULL,
    load_sum             INTEGER,
    load_max             INTEGER,
    load_n               INTEGER NOT NULL,
    mem_used_sum         INTEGER,
    mem_n                INTEGER NOT NULL,
    mem_total            INTEGER,
    swap_used_sum        INTEGER,
    swap_n               INTEGER NOT NULL,
    swap_total           INTEGER,
    disk_max             INTEGER,
    disks                TEXT,
    containers_total     INTEGER NOT NULL,
    containers_running   INTEGER NOT NULL,
    containers_unhealthy INTEGER NOT NULL,
    restic_age           INTEGER,
    dbdump_age           INTEGER,
    PRIMARY KEY (customer_id, resolution, bucket)
) WITHOUT ROWID;

CREATE INDEX events_customer_received ON events (customer_id, received_at);
