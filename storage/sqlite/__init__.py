"""The embedded default backend: one SQLite file, opened with aiosqlite."""
