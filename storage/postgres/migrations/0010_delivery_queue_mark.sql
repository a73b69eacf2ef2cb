-- The delivery queue's mark: every brief numbered up to queue_from is settled for the
-- subscription (posted, skipped, retracted, or not one its topics select), so a round reads
-- only the briefs stored since, not the library (storage/queue.py). queue_version counts the
-- times the mark was moved back (a claim given back, an edit), so a round that read an older
-- mark never moves it past them; queue_scanned_at: when a round last looked, whose edits since
-- are read again. The mark starts just before the first live brief stored since subscribing.
-- (SQLite: 0014.)
ALTER TABLE subscriptions ADD COLUMN queue_from bigint NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN queue_version bigint NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN queue_scanned_at timestamptz;
UPDATE subscriptions SET queue_from = (
    SELECT coalesce(min(b.id) - 1, (SELECT coalesce(max(id), 0) FROM briefs))
    FROM briefs AS b WHERE b.deleted_at IS NULL AND b.created_at > subscriptions.subscribed_at
);
-- Briefs edited since a round looked: a new topic may make one its subscription selects.
CREATE INDEX briefs_updated ON briefs (updated_at) WHERE deleted_at IS NULL;
