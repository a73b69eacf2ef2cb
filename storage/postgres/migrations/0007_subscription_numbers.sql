-- A subscription's number is never handed out again: the identity column already never
-- reuses one. The post log forgets the subscriptions that are gone, as removing one now does,
-- so nothing recorded under a number outlives its subscription. (SQLite: 0011.)

UPDATE post_log AS p SET subscription_id = NULL
WHERE p.subscription_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM subscriptions AS s WHERE s.id = p.subscription_id AND s.guild_id = p.guild_id
);
