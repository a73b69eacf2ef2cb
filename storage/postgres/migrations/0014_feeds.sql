-- Feeds (RSS, Atom, JSON Feed): a feed is a source whose items become its briefs. Each keeps
-- its URL, its interval, the topics added to every item, what a conditional request sends
-- back (ETag, Last-Modified), when it is due, who leases it now, and how its polls went
-- (storage/feeds.py). Due feeds are found through a partial index of the unpaused ones.
-- A brief stored from a feed's backlog when the feed was added is `backfill`: searchable and
-- shown, never auto-posted. (SQLite: 0018.)
CREATE TABLE feeds (
    source_name text PRIMARY KEY REFERENCES sources (name) ON DELETE CASCADE,
    url text NOT NULL UNIQUE,
    interval_seconds bigint NOT NULL CHECK (interval_seconds > 0),
    fixed_topics text[] NOT NULL DEFAULT '{}',
    etag text,
    last_modified text,
    next_due_at timestamptz NOT NULL,
    lease_until timestamptz,
    last_fetch_at timestamptz,
    last_status text,
    last_error text,
    failing_since timestamptz,
    failures bigint NOT NULL DEFAULT 0,
    paused_at timestamptz,
    pause_reason text,
    added_at timestamptz NOT NULL,
    added_by bigint,
    seeded_at timestamptz
);
CREATE INDEX feeds_due ON feeds (next_due_at) WHERE paused_at IS NULL;
ALTER TABLE briefs ADD COLUMN backfill boolean NOT NULL DEFAULT false;
