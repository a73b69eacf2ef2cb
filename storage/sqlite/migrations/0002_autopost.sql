-- Auto-posting: one settings row per guild and an exactly-once log of what was posted where.

CREATE TABLE guild_settings (
    guild_id        INTEGER PRIMARY KEY,
    channel_id      INTEGER,
    mention_role_id INTEGER,
    crosspost       INTEGER NOT NULL DEFAULT 0 CHECK (crosspost IN (0, 1)),
    subscribed_at   TEXT,
    paused_reason   TEXT,
    paused_at       TEXT,
    notified_pause  INTEGER NOT NULL DEFAULT 0 CHECK (notified_pause IN (0, 1)),
    last_post_at    TEXT,
    last_error      TEXT
);

-- A row is a claim (message_id NULL), a post (message_id set) or a skip (skipped = 1);
-- the primary key is what makes a claim exactly-once.
CREATE TABLE post_log (
    guild_id   INTEGER NOT NULL,
    brief_id   INTEGER NOT NULL REFERENCES briefs (id),
    channel_id INTEGER,
    message_id INTEGER,
    posted_at  TEXT    NOT NULL,
    skipped    INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
    PRIMARY KEY (guild_id, brief_id)
) WITHOUT ROWID;

-- Pending posts are "live briefs created after a guild subscribed".
CREATE INDEX briefs_created ON briefs (created_at, id) WHERE deleted_at IS NULL;
