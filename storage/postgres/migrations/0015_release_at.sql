-- Scheduled publishing and embargo: a brief may be held until `release_at` (storage/
-- publishing.py). Held, it is stored but visible to nobody but publishers, so the one
-- definition of a visible brief (storage/schema.py) now reads both columns, and every index
-- that says it is made again with it. Released, `release_at` is cleared in the transaction
-- that claims it, and `released_at` set: the delivery queue reads briefs released since a
-- round looked (held under an older number) through a partial index of those. Held briefs are found by release time through a partial index of exactly
-- them. (SQLite: 0019.)
ALTER TABLE briefs ADD COLUMN release_at timestamptz;
ALTER TABLE briefs ADD COLUMN released_at timestamptz;

DROP INDEX briefs_search;
CREATE INDEX briefs_search ON briefs USING gin (search)
    WHERE deleted_at IS NULL AND release_at IS NULL;
DROP INDEX briefs_title_search;
CREATE INDEX briefs_title_search ON briefs USING gin (title_search)
    WHERE deleted_at IS NULL AND release_at IS NULL;
DROP INDEX briefs_newest;
CREATE INDEX briefs_newest
    ON briefs ((COALESCE(published_at, created_at)) DESC, id DESC)
    WHERE deleted_at IS NULL AND release_at IS NULL;
DROP INDEX briefs_created;
CREATE INDEX briefs_created ON briefs (created_at, id)
    WHERE deleted_at IS NULL AND release_at IS NULL;
DROP INDEX briefs_updated;
CREATE INDEX briefs_updated ON briefs (updated_at) WHERE deleted_at IS NULL AND release_at IS NULL;
CREATE INDEX briefs_scheduled ON briefs (release_at)
    WHERE deleted_at IS NULL AND release_at IS NOT NULL;
CREATE INDEX briefs_released ON briefs (released_at) WHERE released_at IS NOT NULL;

-- The audit trail records scheduling: a brief held or given a new time ("schedule", its
-- note the time), released ("release", its note the time it was due), and withdrawn while
-- held ("cancel").
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (
    action IN ('add', 'edit', 'delete', 'import', 'schedule', 'release', 'cancel')
);
