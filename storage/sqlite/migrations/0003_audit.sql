-- Who changed which brief, when, and what it looked like afterwards (before, for a delete).

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    brief_id INTEGER NOT NULL REFERENCES briefs (id),
    action   TEXT    NOT NULL CHECK (action IN ('add', 'edit', 'delete', 'import')),
    actor_id INTEGER,
    at       TEXT    NOT NULL,
    snapshot TEXT    NOT NULL CHECK (json_valid(snapshot))
);

CREATE INDEX audit_log_brief ON audit_log (brief_id, id);
