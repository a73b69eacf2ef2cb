"""A library that can't be reached: answered in time, saying whether anything was stored,
and a Publish is never lost or stored twice."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers import brief_count, preview_by_form


@contextmanager
def locked(settings) -> Iterator[None]:
    """Another program holds the library's write lock: every write waits, then fails."""
    other = sqlite3.connect(settings.database_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_publish_while_the_library_is_locked_keeps_the_draft(world, settings):
    preview = await preview_by_form(world.alice, world.channel)
    with locked(settings):
        failed = await world.alice.click(preview.response.message, label="Publish")
    text = str(failed.response.content)
    assert "can't be reached" in text
    assert "nothing was stored" in text
    assert await brief_count(world.env) == 0

    done = await world.alice.click(preview.response.message, label="Publish")
    assert "Published as brief #1" in str(done.response.content)
    assert await brief_count(world.env) == 1
