-- Subscriptions: a server may have many (up to 25), each a channel, a topic filter and options.
-- Each server's auto-post setting becomes its first subscription, and its post log that
-- subscription's, so nothing is posted again. (PostgreSQL: 0005.)

CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    -- A JSON list of topics; empty: every brief. `match`: any, all or none of them.
    topics          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(topics)),
    match           TEXT    NOT NULL DEFAULT 'any' CHECK (match IN ('any', 'all', 'none')),
    mention_role_id INTEGER,
    silent          INTEGER NOT NULL DEFAULT 0 CHECK (silent IN (0, 1)),
    thread          INTEGER NOT NULL DEFAULT 0 CHECK (thread IN (0, 1)),
    daily_cap       INTEGER CHECK (daily_cap > 0),
    crosspost       INTEGER NOT NULL DEFAULT 0 CHECK (crosspost IN (0, 1)),
    subscribed_at   TEXT    NOT NULL,
    paused_reason   TEXT,
    paused_at       TEXT,
    last_post_at    TEXT,
    last_error      TEXT
);
CREATE INDEX subscriptions_guild ON subscriptions (guild_id, id);

INSERT INTO subscriptions (
    guild_id, channel_id, mention_role_id, crosspost, subscribed_at, paused_reason, paused_at,
    last_post_at, last_error
)
SELECT guild_id, channel_id, mention_role_id, crosspost,
       COALESCE(subscribed_at, strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')),
       paused_reason, paused_at, last_post_at, last_error
FROM guild_settings WHERE channel_id IS NOT NULL ORDER BY guild_id;

-- The post log is kept per channel: a brief two subscriptions route to one channel is posted
-- there once. A row names the subscription that claimed it, and the thread it went into (a
-- thread per post, or a forum post). Skips recorded without a channel take the server's
-- channel; those of servers that no longer post anywhere are dropped (a new subscription
-- starts without backlog anyway).
CREATE TABLE post_log_by_channel (
    channel_id      INTEGER NOT NULL,
    brief_id        INTEGER NOT NULL REFERENCES briefs (id),
    guild_id        INTEGER NOT NULL,
    subscription_id INTEGER,
    thread_id       INTEGER,
    message_id      INTEGER,
    posted_at       TEXT    NOT NULL,
    skipped         INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
    rejected_at     TEXT,
    rejected_reason TEXT,
    claimed_at      TEXT,
    shown_hash      TEXT,
    shown_version   TEXT,
    copy_state      TEXT CHECK (copy_state IN ('gone', 'unreachable', 'retracted')),
    lease_until     TEXT,
    crosspost_state TEXT CHECK (crosspost_state IN ('pending', 'done', 'failed')),
    crosspost_after TEXT,
    PRIMARY KEY (channel_id, brief_id)
) WITHOUT ROWID;

INSERT INTO post_log_by_channel
SELECT COALESCE(p.channel_id, g.channel_id), p.brief_id, p.guild_id, s.id, NULL, p.message_id,
       p.posted_at, p.skipped, p.rejected_at, p.rejected_reason, p.claimed_at, p.shown_hash,
       p.shown_version, p.copy_state, p.lease_until, p.crosspost_state, p.crosspost_after
FROM post_log AS p
LEFT JOIN guild_settings AS g ON g.guild_id = p.guild_id
LEFT JOIN subscriptions AS s ON s.guild_id = p.guild_id
WHERE COALESCE(p.channel_id, g.channel_id) IS NOT NULL;

DROP TABLE post_log;
ALTER TABLE post_log_by_channel RENAME TO post_log;
CREATE INDEX post_log_copies ON post_log (brief_id) WHERE message_id IS NOT NULL;
CREATE INDEX post_log_subscription ON post_log (subscription_id, posted_at);
CREATE INDEX post_log_guild ON post_log (guild_id, brief_id);
DROP TABLE guild_settings;
