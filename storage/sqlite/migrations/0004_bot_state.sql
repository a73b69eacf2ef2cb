-- Small named values the bot keeps between runs, e.g. the hash of the synced command tree.

CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
