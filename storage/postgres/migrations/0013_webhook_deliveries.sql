-- The webhook-ids a signed source has delivered, with when each was last seen, so a replay is
-- refused by whichever API process it reaches, not only by the one that saw it first
-- (storage/webhooks.py). A source's rows older than the replay window are pruned by its own
-- pushes, through the index on (source_name, seen_at). (SQLite: 0017.)
CREATE TABLE webhook_deliveries (
    source_name text NOT NULL REFERENCES sources (name) ON DELETE CASCADE,
    webhook_id text NOT NULL CHECK (length(webhook_id) BETWEEN 1 AND 255),
    seen_at timestamptz NOT NULL,
    PRIMARY KEY (source_name, webhook_id)
);
CREATE INDEX webhook_deliveries_seen ON webhook_deliveries (source_name, seen_at);
