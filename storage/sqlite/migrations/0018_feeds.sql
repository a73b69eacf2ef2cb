-- Feeds (RSS, Atom, JSON Feed): a feed is a source whose items become its briefs. Each keeps
-- its URL, its interval, the topics added to every item, what a conditional request sends
-- back (ETag, Last-Modified), when it is due, who leases it now, and how its polls went
-- (storage/feeds.py). Due feeds are found through a partial index of the unpaused ones.
-- A brief stored from a feed's backlog when the feed was added is `backfill`: searchable and
-- shown, never auto-posted. (PostgreSQL: 0014.)
CREATE TABLE feeds (
    source_name TEXT PRIMARY KEY REFERENCES sources (name) ON DELETE CASCADE,
    url TEXT NOT NULL UNIQUE,
    interval_seconds INTEGER NOT NULL CHECK (interval_seconds > 0),
    fixed_topics TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(fixed_topics)),
    etag TEXT,
    last_modified TEXT,
    next_due_at TEXT NOT NULL,
    lease_until TEXT,
    last_fetch_at TEXT,
    last_status TEXT,
    last_error TEXT,
    failing_since TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    paused_at TEXT,
    pause_reason TEXT,
    added_at TEXT NOT NULL,
    added_by INTEGER,
    seeded_at TEXT
);
CREATE INDEX feeds_due ON feeds (next_due_at) WHERE paused_at IS NULL;
ALTER TABLE briefs ADD COLUMN backfill INTEGER NOT NULL DEFAULT 0 CHECK (backfill IN (0, 1));
