-- Review before publishing: a contributor's brief (or a brief from a source that requires
-- review) is stored as a draft, `review` 'submitted' or 'changes' (changes requested, with
-- `review_note`), invisible to members until an editor approves it (storage/publishing.py).
-- The one definition of a visible brief (storage/schema.py) now reads `review` too, so every
-- index, view and trigger that says it is made again; a draft is never released by the
-- release loop, so the index of held briefs says so too. Drafts are found through a partial
-- index of exactly them. A source may require review (`sources.requires_review`). Each draft's review
-- card is kept in `review_cards` (the message, and what it shows). (SQLite: 0020.)
ALTER TABLE briefs ADD COLUMN review text CHECK (review IN ('submitted', 'changes'));
ALTER TABLE briefs ADD COLUMN review_note text;
ALTER TABLE sources ADD COLUMN requires_review boolean NOT NULL DEFAULT false;
CREATE TABLE review_cards (
    brief_id   bigint  PRIMARY KEY REFERENCES briefs (id),
    channel_id bigint  NOT NULL,
    message_id bigint  NOT NULL,
    shown      text    NOT NULL,
    final      boolean NOT NULL DEFAULT false
);
CREATE INDEX review_cards_open ON review_cards (brief_id) WHERE NOT final;

DROP INDEX briefs_search;
CREATE INDEX briefs_search ON briefs USING gin (search)
    WHERE deleted_at IS NULL AND release_at IS NULL AND review IS NULL;
DROP INDEX briefs_title_search;
CREATE INDEX briefs_title_search ON briefs USING gin (title_search)
    WHERE deleted_at IS NULL AND release_at IS NULL AND review IS NULL;
DROP INDEX briefs_newest;
CREATE INDEX briefs_newest
    ON briefs ((COALESCE(published_at, created_at)) DESC, id DESC)
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


-- The audit trail records review: submitted, changes requested, approved, rejected, withdrawn.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (
    action IN (
        'add', 'edit', 'delete', 'import', 'schedule', 'release', 'cancel',
        'submit', 'request_changes', 'approve', 'reject', 'withdraw'
    )
);
