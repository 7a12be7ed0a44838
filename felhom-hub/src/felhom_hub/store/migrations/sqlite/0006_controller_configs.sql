-- Managed customers' controller.yaml settings (issue 15). The identity columns are plain for
-- lists and search; everything else — infrastructure tokens, the customer's API key, the
-- session secret, notification preferences, legacy UUIDs, free-form template overrides — is
-- one JSON document sealed with Fernet (configs/vault.py), so a dump alone reveals no secret.
-- expect_restic / expect_dbdump: NULL follows the latest report, 1 always, 0 never expected.
CREATE TABLE controller_configs (
    customer_id   TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    hostname      TEXT NOT NULL,
    expect_restic INTEGER CHECK (expect_restic IN (0, 1)),
    expect_dbdump INTEGER CHECK (expect_dbdump IN (0, 1)),
    sealed        TEXT NOT NULL,
    sealed_with   TEXT NOT NULL,  -- the sealing key's id (configs/vault.py), for rotation
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- The last good controller.yaml.example fetched from registry.template_url, its validators for
-- conditional requests, and the outcome of the latest attempt. One row at most.
CREATE TABLE config_template (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    source        TEXT NOT NULL,
    body          TEXT,
    etag          TEXT,
    last_modified TEXT,
    fetched_at    TEXT,
    checked_at    TEXT NOT NULL,
    error         TEXT
);

-- Infrastructure backups carry restic passwords and the base64 controller.yaml: their bodies are
-- sealed like the configs from now on. NULL: a plaintext body stored before; the hub seals
-- those at start (configs/reseal.py), as it re-seals values whose key is not the first one.
ALTER TABLE infra_backups ADD COLUMN sealed_with TEXT;
