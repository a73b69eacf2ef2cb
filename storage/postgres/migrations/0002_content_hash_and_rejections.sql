-- A hash of each brief's content (storage.base.content_key), so a re-import recognises
-- briefs already stored; computed by the application (rows from before: once, by the upgrade step
-- in storage/backends.py). Indexed whole, so the rows still to compute are found without a scan.
ALTER TABLE briefs ADD COLUMN content_hash text;
CREATE INDEX briefs_content_hash ON briefs (content_hash);

-- A post Discord refused (HTTP 400) keeps its claim, with when and why, and is tried again
-- once the brief has been edited since.
ALTER TABLE post_log ADD COLUMN rejected_at timestamptz;
ALTER TABLE post_log ADD COLUMN rejected_reason text;
