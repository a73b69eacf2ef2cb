-- Corrections and retractions reach every posted copy; delivery is exactly once through
-- crashes; every guild keeps a log of what happened to its posts.

-- The latest correction note a brief carries, and the reason it was retracted (deleted).
ALTER TABLE briefs ADD COLUMN correction TEXT;
ALTER TABLE briefs ADD COLUMN retraction TEXT;
-- An edit's correction note, a delete's reason.
ALTER TABLE audit_log ADD COLUMN note TEXT;

-- claimed_at: when the post was first claimed (its send's nonce is honoured by Discord for a
-- few minutes from then); posted_at stays the time of the latest attempt, then of the post.
-- shown_hash/shown_version: what the posted message shows (a hash of its payload, and the
-- brief's updated_at it was rendered from); copy_state: why it is no longer kept right;
-- lease_until: a process is updating the copy until then; crosspost_state, crosspost_after:
-- publishing an announcement-channel post to followers, done apart from delivery.
ALTER TABLE post_log ADD COLUMN claimed_at TEXT;
ALTER TABLE post_log ADD COLUMN shown_hash TEXT;
ALTER TABLE post_log ADD COLUMN shown_version TEXT;
ALTER TABLE post_log ADD COLUMN copy_state TEXT
    CHECK (copy_state IN ('gone', 'unreachable', 'retracted'));
ALTER TABLE post_log ADD COLUMN lease_until TEXT;
ALTER TABLE post_log ADD COLUMN crosspost_state TEXT
    CHECK (crosspost_state IN ('pending', 'done', 'failed'));
ALTER TABLE post_log ADD COLUMN crosspost_after TEXT;
UPDATE post_log SET claimed_at = posted_at;
-- A copy posted before this shows the brief as it was when it was posted.
UPDATE post_log SET shown_version = posted_at WHERE message_id IS NOT NULL;
CREATE INDEX post_log_copies ON post_log (brief_id) WHERE message_id IS NOT NULL;

CREATE TABLE delivery_log (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    brief_id INTEGER,
    at       TEXT    NOT NULL,
    event    TEXT    NOT NULL,
    detail   TEXT
);
CREATE INDEX delivery_log_guild ON delivery_log (guild_id, id);
