-- Where one brief went (the API's GET of a brief, and any copy of it): every post log row of a
-- brief, posted or not, by its number, instead of only its posted copies. (SQLite: 0016.)
DROP INDEX post_log_copies;
CREATE INDEX post_log_brief ON post_log (brief_id);
