"""The shared backend for several bot processes: PostgreSQL through asyncpg."""
