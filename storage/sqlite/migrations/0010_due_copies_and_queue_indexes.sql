-- Recurring queries read the rows of their work, never the whole library. (PostgreSQL: 0006.)

-- due_version: the version of its brief (its updated_at) a kept copy must be brought to; NULL
-- while the copy shows the latest one. Set when the brief is edited or retracted (or was while
-- the copy was being sent), cleared once the copy shows it or is lost. The correction keeper
-- then reads only the copies that are due, instead of comparing every copy with its brief.
ALTER TABLE post_log ADD COLUMN due_version TEXT;
UPDATE post_log SET due_version = (
    SELECT b.updated_at FROM briefs AS b WHERE b.id = post_log.brief_id
)
WHERE message_id IS NOT NULL AND copy_state IS NULL AND EXISTS (
    SELECT 1 FROM briefs AS b WHERE b.id = post_log.brief_id AND b.updated_at IS NOT NULL
    AND (post_log.shown_version IS NULL OR post_log.shown_version < b.updated_at)
);
-- Partial indexes hold only the rows of the work; their WHERE is the queries' condition,
-- word for word (storage/subscriptions.py), or the planner cannot use them.
CREATE INDEX post_log_due ON post_log (due_version, guild_id) WHERE due_version IS NOT NULL;
CREATE INDEX post_log_guild_due ON post_log (guild_id) WHERE due_version IS NOT NULL;
CREATE INDEX post_log_unsent ON post_log (channel_id, brief_id)
    WHERE message_id IS NULL AND skipped = FALSE AND rejected_at IS NULL;
CREATE INDEX post_log_rejected ON post_log (channel_id, rejected_at)
    WHERE rejected_at IS NOT NULL;
CREATE INDEX post_log_crossposts ON post_log (posted_at) WHERE crosspost_state = 'pending';
