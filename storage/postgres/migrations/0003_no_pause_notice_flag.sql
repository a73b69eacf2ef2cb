-- notified_pause was written and never read: a server is told of a pause when it happens,
-- and a paused server is not delivered to, so it is told once without a flag.
ALTER TABLE guild_settings DROP COLUMN notified_pause;
