"""Persistence for briefbot: schema, migrations and repositories (no Discord here)."""
