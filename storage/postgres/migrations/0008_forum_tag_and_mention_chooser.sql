-- A subscription's default forum tag: a forum may require a tag on every post, and a brief
-- whose topics name none of the forum's tags carries this one. (SQLite: 0012.)
ALTER TABLE subscriptions ADD COLUMN forum_tag_id bigint;
-- Who chose the role a subscription mentions: the bot pings it only while they could ping it
-- themselves (NULL, as for every mention chosen before this: only a mentionable role is).
ALTER TABLE subscriptions ADD COLUMN mention_set_by bigint;
