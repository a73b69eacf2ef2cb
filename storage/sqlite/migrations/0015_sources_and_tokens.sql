-- Sources that push briefs (an API's CMS, a wire, later feeds): a brief may carry its source's
-- name and the id the source knows it by, unique together, so a push is an upsert; tokens
-- act for one source each and are kept as a SHA-256 hash, never the secret; a source's webhook
-- secret is kept as given, since checking an HMAC needs it; an idempotency key remembers the
-- first answer to a POST for a day (storage/sources.py, tokens.py, idempotency.py).
-- (PostgreSQL: 0011.)
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    label TEXT,
    webhook_secret TEXT,
    added_at TEXT NOT NULL
);
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    source_name TEXT NOT NULL REFERENCES sources (name) ON DELETE CASCADE,
    label TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE INDEX tokens_source ON tokens (source_name);
CREATE TABLE idempotency_keys (
    token_id INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (token_id, idempotency_key)
);
ALTER TABLE briefs ADD COLUMN source_name TEXT;
ALTER TABLE briefs ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX briefs_external ON briefs (source_name, external_id)
    WHERE source_name IS NOT NULL AND external_id IS NOT NULL;
-- Who a source's change was made by, as /brief history shows it (a token's label).
ALTER TABLE audit_log ADD COLUMN source_label TEXT;
