"""`python -m bot feeds` as an operator runs it: real processes, a real SQLite file, feeds
served on loopback (FEEDS_ALLOW_PRIVATE=1, as only tests and the demo set it)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from storage.backends import open_storage, sqlite_url
from tests.bot.feeds.support import FeedServer, Item, rss
from tests.helpers import PROCESS_TIMEOUT, ROOT, cli_env

ALLOW = {"FEEDS_ALLOW_PRIVATE": "1"}


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FeedServer]:
    served = FeedServer()
    await served.start()
    try:
        yield served
    finally:
        await served.stop()


async def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run `python -m bot ...` while this event loop keeps serving the feeds."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=cli_env(ALLOW if env is None else env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    return process.returncode or 0, out.decode(), err.decode()


def items(*numbers: int) -> bytes:
    return rss([Item(f"s-{n}", f"Story {n}", f"Something happened, number {n}.") for n in numbers])


async def stored_titles(path: Path) -> list[str]:
    store = await open_storage(sqlite_url(path))
    try:
        return sorted(brief.title for brief in await store.briefs.latest(50))
    finally:
        await store.close()


async def test_add_stores_the_backlog_and_poll_once_ingests_what_is_new(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.serve("/news.xml", items(2, 1))
    code, out, err = await cli(
        "feeds", "add", url, "--name", "gazette", "--db", "lib.db", cwd=tmp_path
    )
    assert code == 0, err
    assert "2 items" in err
    assert "never posted" in err
    assert await stored_titles(tmp_path / "lib.db") == ["Story 1", "Story 2"]

    server.serve("/news.xml", items(3, 2, 1))
    code, out, err = await cli("feeds", "poll", "--once", "--all", "--db", "lib.db", cwd=tmp_path)
    assert code == 0, err
    assert out.startswith("gazette\tok: 1 new")
    assert await stored_titles(tmp_path / "lib.db") == ["Story 1", "Story 2", "Story 3"]

    code, out, err = await cli("feeds", "list", "--db", "lib.db", cwd=tmp_path)
    assert code == 0, err
    name, listed_url, interval, state, *_, review = out.splitlines()[0].split("\t")
    assert (name, listed_url, interval, state, review) == ("gazette", url, "10m", "ok", "-")


async def drafts_and_backlog(path: Path) -> tuple[list[str], list[str]]:
    """The titles of the drafts in review, and of the backlog (stored, never posted)."""
    store = await open_storage(sqlite_url(path))
    try:
        drafts = [brief.title for brief in await store.briefs.drafts()]
        backlog = [brief.title for brief in await store.briefs.latest(50) if brief.backfill]
        return drafts, sorted(backlog)
    finally:
        await store.close()


async def test_with_review_new_items_wait_as_drafts_and_the_backlog_does_not(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.serve("/news.xml", items(2, 1))
    code, _, err = await cli(
        "feeds", "add", url, "--name", "gazette", "--review", "--db", "lib.db", cwd=tmp_path
    )
    assert code == 0, err
    assert "2 items" in err
    assert "wait for an editor's approval" in err
    assert await drafts_and_backlog(tmp_path / "lib.db") == ([], ["Story 1", "Story 2"])

    server.serve("/news.xml", items(3, 2, 1))
    code, out, err = await cli("feeds", "poll", "--once", "--all", "--db", "lib.db", cwd=tmp_path)
    assert code == 0, err
    assert out.startswith("gazette\tok: 1 new")
    assert await drafts_and_backlog(tmp_path / "lib.db") == (["Story 3"], ["Story 1", "Story 2"])
    assert await stored_titles(tmp_path / "lib.db") == ["Story 1", "Story 2"]  # what members see

    code, out, err = await cli("feeds", "list", "--db", "lib.db", cwd=tmp_path)
    assert code == 0, err
    (line,) = out.splitlines()
    assert line.split("\t")[0] == "gazette"
    assert line.endswith("\treview")
    code, out, _ = await cli("source", "list", "--db", "lib.db", cwd=tmp_path)
    assert out.splitlines() == ["gazette\tHarbour Gazette\t-\treview"]


async def test_a_dry_run_shows_the_items_and_stores_nothing(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.serve("/news.xml", items(1))

    code, out, err = await cli("feeds", "add", url, "--dry-run", "--db", "lib.db", cwd=tmp_path)

    assert code == 0, err
    assert "Harbour Gazette: 1 items" in out
    assert "s-1\tStory 1" in out
    assert not (tmp_path / "lib.db").exists()


async def test_a_private_address_is_refused_unless_allowed(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.serve("/news.xml", items(1))

    code, _, err = await cli("feeds", "add", url, "--db", "lib.db", cwd=tmp_path, env={})

    assert code != 0
    assert "error:" in err
    assert "127.0.0.1" in err
    assert server.hits == {}


async def test_a_feed_that_cannot_be_read_is_not_added(tmp_path: Path, server: FeedServer) -> None:
    url = server.serve(
        "/page.html", b"<html><body>Not a feed</body></html>", content_type="text/html"
    )

    code, _, err = await cli("feeds", "add", url, "--db", "lib.db", cwd=tmp_path)

    assert code == 1
    assert "nothing added" in err


async def test_remove_stops_reading_and_keeps_the_briefs(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.serve("/news.xml", items(1))
    code, _, err = await cli("feeds", "add", url, "--db", "lib.db", cwd=tmp_path)
    assert code == 0, err
    code, out, _ = await cli("feeds", "list", "--db", "lib.db", cwd=tmp_path)
    name = out.split("\t")[0]
    assert name == "127-0-0-1"

    code, _, err = await cli("feeds", "remove", name, "--db", "lib.db", cwd=tmp_path)

    assert code == 0, err
    code, out, _ = await cli("feeds", "list", "--db", "lib.db", cwd=tmp_path)
    assert out == ""
    assert await stored_titles(tmp_path / "lib.db") == ["Story 1"]


async def test_poll_once_ingests_a_folder_of_real_world_feeds(
    tmp_path: Path, server: FeedServer
) -> None:
    """Each file of tests/fixtures/feeds/real/ served as a feed, added, then polled again."""
    folder = ROOT / "tests" / "fixtures" / "feeds" / "real"
    kinds = {
        ".json": "application/feed+json",
        ".xml": "application/xml",
        ".rss": "application/rss+xml",
        ".atom": "application/atom+xml",
    }
    files = sorted(folder.iterdir())
    assert len(files) >= 4
    for number, path in enumerate(files):
        url = server.serve(
            f"/{path.name}",
            path.read_bytes(),
            content_type=kinds.get(path.suffix, "application/xml"),
        )
        code, _, err = await cli(
            "feeds", "add", url, "--name", f"real-{number}", "--db", "lib.db", cwd=tmp_path
        )
        assert code == 0, err
        assert "Traceback" not in err

    code, out, err = await cli("feeds", "poll", "--once", "--all", "--db", "lib.db", cwd=tmp_path)

    assert code == 0, err
    assert "Traceback" not in err
    assert sorted(line.split("\t")[0] for line in out.splitlines()) == [
        f"real-{n}" for n in range(len(files))
    ]
    assert all("\tnot-modified" in line for line in out.splitlines())
    assert len(await stored_titles(tmp_path / "lib.db")) == 9  # every item of the four
