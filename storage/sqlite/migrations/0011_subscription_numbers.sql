-- A subscription's number is never handed out again, even after the highest one is removed:
-- INTEGER PRIMARY KEY alone takes max(id) + 1, AUTOINCREMENT never reuses one. The table is
-- rebuilt with it (SQLite cannot add it in place). Numbers of removed subscriptions that the
-- post log still names stay used too. (PostgreSQL: 0007; its identity never reused one.)

CREATE TABLE subscriptions_numbered (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO subscriptions_numbered
SELECT id, guild_id, channel_id, topics, match, mention_role_id, silent, thread, daily_cap,
       crosspost, subscribed_at, paused_reason, paused_at, last_post_at, last_error
FROM subscriptions ORDER BY id;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_numbered RENAME TO subscriptions;
CREATE INDEX subscriptions_guild ON subscriptions (guild_id, id);

DELETE FROM sqlite_sequence WHERE name IN ('subscriptions', 'subscriptions_numbered');
INSERT INTO sqlite_sequence (name, seq)
SELECT 'subscriptions', max(COALESCE((SELECT max(id) FROM subscriptions), 0),
                            COALESCE((SELECT max(subscription_id) FROM post_log), 0));

-- Posts stay recorded for their channel, but no longer as a removed subscription's: a number
-- reused before this (by any server) would otherwise carry them over, e.g. as today's posts
-- against a daily cap. Removing a subscription now forgets its posts the same way.
UPDATE post_log SET subscription_id = NULL
WHERE subscription_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM subscriptions AS s
    WHERE s.id = post_log.subscription_id AND s.guild_id = post_log.guild_id
);
