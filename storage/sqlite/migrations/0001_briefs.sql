-- Briefs, soft-deleted via deleted_at, with a full-text index over the live ones.
-- Datetimes are ISO 8601 UTC text with microseconds, so they sort as text.

CREATE TABLE briefs (
    id               INTEGER PRIMARY KEY,
    title            TEXT    NOT NULL,
    what_happened    TEXT    NOT NULL,
    who_was_involved TEXT,
    when_and_where   TEXT,
    key_quote        TEXT,
    impact           TEXT,
    body             TEXT    NOT NULL DEFAULT '',
    source_url       TEXT,
    image_url        TEXT,
    tags             TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
    published_at     TEXT,
    created_at       TEXT    NOT NULL,
    created_by       INTEGER,
    updated_at       TEXT,
    deleted_at       TEXT
);

-- Newest first, covering (id, title) so latest titles for autocomplete never touch the table.
CREATE INDEX briefs_newest
    ON briefs (COALESCE(published_at, created_at) DESC, id DESC, title)
    WHERE deleted_at IS NULL;

-- The FTS content source: only live briefs, so 'rebuild' and 'integrity-check' agree
-- with what the triggers index.
CREATE VIEW briefs_live AS
    SELECT * FROM briefs WHERE deleted_at IS NULL;

CREATE VIRTUAL TABLE briefs_fts USING fts5(
    title, what_happened, who_was_involved, when_and_where, key_quote, impact, body, tags,
    content = 'briefs_live',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER briefs_ai AFTER INSERT ON briefs
WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO briefs_fts (
        rowid, title, what_happened, who_was_involved, when_and_where, key_quote, impact,
        body, tags
    ) VALUES (
        new.id, new.title, new.what_happened, new.who_was_involved, new.when_and_where,
        new.key_quote, new.impact, new.body, new.tags
    );
END;

CREATE TRIGGER briefs_ad AFTER DELETE ON briefs
WHEN old.deleted_at IS NULL
BEGIN
    INSERT INTO briefs_fts (
        briefs_fts, rowid, title, what_happened, who_was_involved, when_and_where, key_quote,
        impact, body, tags
    ) VALUES (
        'delete', old.id, old.title, old.what_happened, old.who_was_involved,
        old.when_and_where, old.key_quote, old.impact, old.body, old.tags
    );
END;

CREATE TRIGGER briefs_au AFTER UPDATE ON briefs
BEGIN
    INSERT INTO briefs_fts (
        briefs_fts, rowid, title, what_happened, who_was_involved, when_and_where, key_quote,
        impact, body, tags
    )
    SELECT
        'delete', old.id, old.title, old.what_happened, old.who_was_involved,
        old.when_and_where, old.key_quote, old.impact, old.body, old.tags
    WHERE old.deleted_at IS NULL;
    INSERT INTO briefs_fts (
        rowid, title, what_happened, who_was_involved, when_and_where, key_quote, impact,
        body, tags
    )
    SELECT
        new.id, new.title, new.what_happened, new.who_was_involved, new.when_and_where,
        new.key_quote, new.impact, new.body, new.tags
    WHERE new.deleted_at IS NULL;
END;
