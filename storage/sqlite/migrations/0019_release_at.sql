-- Scheduled publishing and embargo: a brief may be held until `release_at` (storage/
-- publishing.py). Held, it is stored but visible to nobody but publishers, so the one
-- definition of a visible brief (storage/schema.py) now reads both columns, and every index,
-- view and trigger that says it is made again with it. Released, `release_at` is cleared in
-- the transaction that claims it, and `released_at` set: the delivery queue reads briefs
-- released since a round looked (held under an older number) through a partial index of those. Held briefs are found by release time through a partial
-- index of exactly them. (PostgreSQL: 0015.)
ALTER TABLE briefs ADD COLUMN release_at TEXT;
ALTER TABLE briefs ADD COLUMN released_at TEXT;

DROP INDEX briefs_newest;
CREATE INDEX briefs_newest
    ON briefs (COALESCE(published_at, created_at) DESC, id DESC, title)
    WHERE deleted_at IS NULL AND release_at IS NULL;
DROP INDEX briefs_created;
CREATE INDEX briefs_created ON briefs (created_at, id)
    WHERE deleted_at IS NULL AND release_at IS NULL;
DROP INDEX briefs_updated;
CREATE INDEX briefs_updated ON briefs (updated_at) WHERE deleted_at IS NULL AND release_at IS NULL;
CREATE INDEX briefs_scheduled ON briefs (release_at)
    WHERE deleted_at IS NULL AND release_at IS NOT NULL;
CREATE INDEX briefs_released ON briefs (released_at) WHERE released_at IS NOT NULL;

DROP VIEW briefs_live;
CREATE VIEW briefs_live AS
    SELECT * FROM briefs WHERE deleted_at IS NULL AND release_at IS NULL;

DROP TRIGGER briefs_ai;
CREATE TRIGGER briefs_ai AFTER INSERT ON briefs
WHEN new.deleted_at IS NULL AND new.release_at IS NULL
BEGIN
    INSERT INTO briefs_fts (
        rowid, title, what_happened, who_was_involved, when_and_where, key_quote, impact,
        body, tags
    ) VALUES (
        new.id, new.title, new.what_happened, new.who_was_involved, new.when_and_where,
        new.key_quote, new.impact, new.body, new.tags
    );
END;

DROP TRIGGER briefs_ad;
CREATE TRIGGER briefs_ad AFTER DELETE ON briefs
WHEN old.deleted_at IS NULL AND old.release_at IS NULL
BEGIN
    INSERT INTO briefs_fts (
        briefs_fts, rowid, title, what_happened, who_was_involved, when_and_where, key_quote,
        impact, body, tags
    ) VALUES (
        'delete', old.id, old.title, old.what_happened, old.who_was_involved,
        old.when_and_where, old.key_quote, old.impact, old.body, old.tags
    );
END;

DROP TRIGGER briefs_au;
CREATE TRIGGER briefs_au AFTER UPDATE ON briefs
BEGIN
    INSERT INTO briefs_fts (
        briefs_fts, rowid, title, what_happened, who_was_involved, when_and_where, key_quote,
        impact, body, tags
    )
    SELECT
        'delete', old.id, old.title, old.what_happened, old.who_was_involved,
        old.when_and_where, old.key_quote, old.impact, old.body, old.tags
    WHERE old.deleted_at IS NULL AND old.release_at IS NULL;
    INSERT INTO briefs_fts (
        rowid, title, what_happened, who_was_involved, when_and_where, key_quote, impact,
        body, tags
    )
    SELECT
        new.id, new.title, new.what_happened, new.who_was_involved, new.when_and_where,
        new.key_quote, new.impact, new.body, new.tags
    WHERE new.deleted_at IS NULL AND new.release_at IS NULL;
END;

DROP TRIGGER briefs_titles_ai;
CREATE TRIGGER briefs_titles_ai AFTER INSERT ON briefs
WHEN new.deleted_at IS NULL AND new.release_at IS NULL
BEGIN
    INSERT INTO briefs_titles (rowid, title) VALUES (new.id, new.title);
END;

DROP TRIGGER briefs_titles_ad;
CREATE TRIGGER briefs_titles_ad AFTER DELETE ON briefs
WHEN old.deleted_at IS NULL AND old.release_at IS NULL
BEGIN
    INSERT INTO briefs_titles (briefs_titles, rowid, title) VALUES ('delete', old.id, old.title);
END;

DROP TRIGGER briefs_titles_au;
CREATE TRIGGER briefs_titles_au AFTER UPDATE ON briefs
BEGIN
    INSERT INTO briefs_titles (briefs_titles, rowid, title)
    SELECT 'delete', old.id, old.title
    WHERE old.deleted_at IS NULL AND old.release_at IS NULL;
    INSERT INTO briefs_titles (rowid, title)
    SELECT new.id, new.title
    WHERE new.deleted_at IS NULL AND new.release_at IS NULL;
END;

-- The audit trail records scheduling: a brief held or given a new time ("schedule", its
-- note the time), released ("release", its note the time it was due), and withdrawn while
-- held ("cancel"). SQLite cannot change a CHECK in place, so the table is rebuilt.
CREATE TABLE audit_log_scheduled (
    id           INTEGER PRIMARY KEY,
    brief_id     INTEGER NOT NULL REFERENCES briefs (id),
    action       TEXT    NOT NULL CHECK (
        action IN ('add', 'edit', 'delete', 'import', 'schedule', 'release', 'cancel')
    ),
    actor_id     INTEGER,
    at           TEXT    NOT NULL,
    snapshot     TEXT    NOT NULL CHECK (json_valid(snapshot)),
    note         TEXT,
    source       TEXT,
    source_label TEXT
);
INSERT INTO audit_log_scheduled (
    id, brief_id, action, actor_id, at, snapshot, note, source, source_label
)
SELECT id, brief_id, action, actor_id, at, snapshot, note, source, source_label
FROM audit_log ORDER BY id;
DROP TABLE audit_log;
ALTER TABLE audit_log_scheduled RENAME TO audit_log;
CREATE INDEX audit_log_brief ON audit_log (brief_id, id);
