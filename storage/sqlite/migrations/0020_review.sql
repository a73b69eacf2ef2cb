-- Review before publishing: a contributor's brief (or a brief from a source that requires
-- review) is stored as a draft, `review` 'submitted' or 'changes' (changes requested, with
-- `review_note`), invisible to members until an editor approves it (storage/publishing.py).
-- The one definition of a visible brief (storage/schema.py) now reads `review` too, so every
-- index, view and trigger that says it is made again; a draft is never released by the
-- release loop, so the index of held briefs says so too. Drafts are found through a partial
-- index of exactly them. A source may require review (`sources.requires_review`). Each draft's review
-- card is kept in `review_cards` (the message, and what it shows). (PostgreSQL: 0016.)
ALTER TABLE briefs ADD COLUMN review TEXT CHECK (review IN ('submitted', 'changes'));
ALTER TABLE briefs ADD COLUMN review_note TEXT;
ALTER TABLE sources ADD COLUMN requires_review INTEGER NOT NULL DEFAULT 0
    CHECK (requires_review IN (0, 1));
CREATE TABLE review_cards (
    brief_id   INTEGER PRIMARY KEY REFERENCES briefs (id),
    channel_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    shown      TEXT    NOT NULL,
    final      INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1))
);
CREATE INDEX review_cards_open ON review_cards (brief_id) WHERE NOT final;

DROP INDEX briefs_newest;
CREATE INDEX briefs_newest
    ON briefs (COALESCE(published_at, created_at) DESC, id DESC, title)
    WHERE deleted_at IS NULL AND release_at IS NULL AND review IS NULL;
DROP INDEX briefs_created;
CREATE INDEX briefs_created ON briefs (created_at, id)
    WHERE deleted_at IS NULL AND release_at IS NULL AND review IS NULL;
DROP INDEX briefs_updated;
CREATE INDEX briefs_updated ON briefs (updated_at) WHERE deleted_at IS NULL AND release_at IS NULL AND review IS NULL;
DROP INDEX briefs_scheduled;
CREATE INDEX briefs_scheduled ON briefs (release_at)
    WHERE deleted_at IS NULL AND review IS NULL AND release_at IS NOT NULL;
CREATE INDEX briefs_drafts ON briefs (created_by, id)
    WHERE deleted_at IS NULL AND review IS NOT NULL;

DROP VIEW briefs_live;
CREATE VIEW briefs_live AS
    SELECT * FROM briefs WHERE deleted_at IS NULL AND release_at IS NULL AND review IS NULL;

DROP TRIGGER briefs_ai;
CREATE TRIGGER briefs_ai AFTER INSERT ON briefs
WHEN new.deleted_at IS NULL AND new.release_at IS NULL AND new.review IS NULL
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
WHEN old.deleted_at IS NULL AND old.release_at IS NULL AND old.review IS NULL
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
    WHERE old.deleted_at IS NULL AND old.release_at IS NULL AND old.review IS NULL;
    INSERT INTO briefs_fts (
        rowid, title, what_happened, who_was_involved, when_and_where, key_quote, impact,
        body, tags
    )
    SELECT
        new.id, new.title, new.what_happened, new.who_was_involved, new.when_and_where,
        new.key_quote, new.impact, new.body, new.tags
    WHERE new.deleted_at IS NULL AND new.release_at IS NULL AND new.review IS NULL;
END;

DROP TRIGGER briefs_titles_ai;
CREATE TRIGGER briefs_titles_ai AFTER INSERT ON briefs
WHEN new.deleted_at IS NULL AND new.release_at IS NULL AND new.review IS NULL
BEGIN
    INSERT INTO briefs_titles (rowid, title) VALUES (new.id, new.title);
END;

DROP TRIGGER briefs_titles_ad;
CREATE TRIGGER briefs_titles_ad AFTER DELETE ON briefs
WHEN old.deleted_at IS NULL AND old.release_at IS NULL AND old.review IS NULL
BEGIN
    INSERT INTO briefs_titles (briefs_titles, rowid, title) VALUES ('delete', old.id, old.title);
END;

DROP TRIGGER briefs_titles_au;
CREATE TRIGGER briefs_titles_au AFTER UPDATE ON briefs
BEGIN
    INSERT INTO briefs_titles (briefs_titles, rowid, title)
    SELECT 'delete', old.id, old.title
    WHERE old.deleted_at IS NULL AND old.release_at IS NULL AND old.review IS NULL;
    INSERT INTO briefs_titles (rowid, title)
    SELECT new.id, new.title
    WHERE new.deleted_at IS NULL AND new.release_at IS NULL AND new.review IS NULL;
END;


-- The audit trail records review: submitted, changes requested, approved, rejected, withdrawn.
CREATE TABLE audit_log_reviewed (
    id           INTEGER PRIMARY KEY,
    brief_id     INTEGER NOT NULL REFERENCES briefs (id),
    action       TEXT    NOT NULL CHECK (
        action IN (
            'add', 'edit', 'delete', 'import', 'schedule', 'release', 'cancel',
            'submit', 'request_changes', 'approve', 'reject', 'withdraw'
        )
    ),
    actor_id     INTEGER,
    at           TEXT    NOT NULL,
    snapshot     TEXT    NOT NULL CHECK (json_valid(snapshot)),
    note         TEXT,
    source       TEXT,
    source_label TEXT
);
INSERT INTO audit_log_reviewed (
    id, brief_id, action, actor_id, at, snapshot, note, source, source_label
)
SELECT id, brief_id, action, actor_id, at, snapshot, note, source, source_label
FROM audit_log ORDER BY id;
DROP TABLE audit_log;
ALTER TABLE audit_log_reviewed RENAME TO audit_log;
CREATE INDEX audit_log_brief ON audit_log (brief_id, id);
