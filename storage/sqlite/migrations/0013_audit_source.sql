-- Who changed a brief, when it was not a Discord user: the named source that published it
-- (`cli`, `api`, a feed). NULL with no actor_id: the command line, as before. (PostgreSQL: 0009.)
ALTER TABLE audit_log ADD COLUMN source TEXT;
