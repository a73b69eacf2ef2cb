-- A titles-only full-text index with prefix indexes, for autocomplete (`suggest`).
-- On briefs_fts, `title : ("coun"*)` merges the doclists of every term starting with "coun"
-- across all columns (bodies included): ~5-20 ms at 100,000 briefs for a 2-4 letter prefix.
-- Here a 1-4 letter prefix is a single doclist read, and titles are short, so the extra
-- index costs little to write. Same content source and triggers as briefs_fts (0001).

CREATE VIRTUAL TABLE briefs_titles USING fts5(
    title,
    content = 'briefs_live',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4'
);

INSERT INTO briefs_titles (briefs_titles) VALUES ('rebuild');

CREATE TRIGGER briefs_titles_ai AFTER INSERT ON briefs
WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO briefs_titles (rowid, title) VALUES (new.id, new.title);
END;

CREATE TRIGGER briefs_titles_ad AFTER DELETE ON briefs
WHEN old.deleted_at IS NULL
BEGIN
    INSERT INTO briefs_titles (briefs_titles, rowid, title) VALUES ('delete', old.id, old.title);
END;

CREATE TRIGGER briefs_titles_au AFTER UPDATE ON briefs
BEGIN
    INSERT INTO briefs_titles (briefs_titles, rowid, title)
    SELECT 'delete', old.id, old.title
    WHERE old.deleted_at IS NULL;
    INSERT INTO briefs_titles (rowid, title)
    SELECT new.id, new.title
    WHERE new.deleted_at IS NULL;
END;
