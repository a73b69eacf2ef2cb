"""The importer on its own: one bad file never stops the rest, and what it stored is known."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import simcord

import bot.brief.files
import bot.cli.importing
from bot.cli.importing import ImportReport, import_files
from storage.backends import open_storage, sqlite_url
from storage.library import Storage
from storage.models import Brief, BriefContent
from tests.helpers import Newsroom, Server, click_crafted, publish, run_cli, woken


def brief_file(folder: Path, name: str, *titles: str) -> Path:
    """Write a JSON file holding one brief per title."""
    path = folder / name
    items = [{"title": title, "what_happened": f"{title} happened."} for title in titles]
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


@pytest.fixture
async def library(tmp_path: Path) -> AsyncIterator[Storage]:
    db = await open_storage(sqlite_url(tmp_path / "lib.db"))
    yield db
    await db.close()


async def test_reimporting_counts_what_is_already_present(library: Storage, tmp_path: Path) -> None:
    files = [brief_file(tmp_path, "a.json", "One", "Two"), brief_file(tmp_path, "b.json", "Three")]
    first = await import_files(library.publisher, files, skip_present=True)
    brief_file(tmp_path, "b.json", "Three", "Four")

    again = await import_files(library.publisher, files, skip_present=True)

    assert (first.stored, first.present, first.files_ok) == (3, 0, 2)
    assert (again.stored, again.present, again.files_ok) == (1, 3, 2)
    assert await library.briefs.count() == 4
    forced = await import_files(library.publisher, files[:1])
    assert (forced.stored, forced.present) == (2, 0)


async def test_a_value_error_from_one_file_does_not_stop_the_others(
    library: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bot.brief.files.load_briefs

    def load(data: bytes, filename: str, **kwargs: Any) -> list[BriefContent]:
        if filename == "bad.json":
            raise OverflowError("date value out of range")
        return real(data, filename, **kwargs)

    monkeypatch.setattr(bot.brief.files, "load_briefs", load)
    files = [brief_file(tmp_path, name, name) for name in ("a.json", "bad.json", "c.json")]

    report = await import_files(library.publisher, files)

    assert report.failures == [(files[1], "date value out of range")]
    assert (report.stored, report.files_ok) == (2, 2)


class RefusingStore:
    """A store that refuses, as a database would, any batch holding the title "Poison"."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.stored: list[str] = []

    async def publish_many(
        self, items: Sequence[BriefContent], *, skip_present: bool = False, **_: Any
    ) -> list[Brief]:
        if any(item.title == "Poison" for item in items):
            raise self.error
        self.stored += [item.title for item in items]
        return [Brief(id=n, created_at="2026-01-01T00:00:00Z", **i.__dict__) for n, i in
                enumerate(items, 1)]  # fmt: skip


@pytest.mark.parametrize("error", [ValueError("bad value"), OverflowError("int too large")])
async def test_a_batch_refused_for_one_file_stores_every_other_file(
    tmp_path: Path, error: Exception
) -> None:
    store = RefusingStore(error)
    files = [
        brief_file(tmp_path, "a.json", "Fine", "Also fine"),
        brief_file(tmp_path, "b.json", "Poison", "Innocent bystander"),
        brief_file(tmp_path, "c.json", "Last"),
    ]

    report = await import_files(store, files)  # type: ignore[arg-type]

    assert report.failures == [(files[1], str(error))]
    assert store.stored == ["Fine", "Also fine", "Last"]
    assert (report.stored, report.files_ok) == (3, 2)


async def test_a_given_report_shows_what_was_stored_when_cancelled(
    library: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.cli.importing, "BATCH_SIZE", 3)
    files = [brief_file(tmp_path, f"{n}.json", f"Brief {n}", f"Brief {n}b") for n in range(4)]
    report = ImportReport()
    done: list[None] = []

    def on_file() -> None:
        done.append(None)
        if len(done) == 3:  # files 0 and 1 committed together; file 2 waits in the batch
            importing.cancel()

    importing = asyncio.create_task(
        import_files(library.publisher, files, report=report, on_file=on_file)
    )
    with pytest.raises(asyncio.CancelledError):
        await importing

    assert (report.stored, report.files_ok, report.failures) == (4, 2, [])
    assert await library.briefs.count() == 4


async def test_after_importing_an_export_an_old_more_button_still_says_retracted(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    """The bot runs on a new library filled from an old one's export: messages posted from the
    old library (their More buttons name brief numbers) still show what they showed."""
    old = await open_storage(sqlite_url(tmp_path / "old.db"))
    try:
        kept = await old.briefs.add(BriefContent(title="Kept", what_happened="It stayed."))
        gone = await old.briefs.add(BriefContent(title="Gone", what_happened="It went."))
        await old.briefs.delete(gone.id, actor_id=None, reason="The story was false.")
    finally:
        await old.close()
    exported = await asyncio.to_thread(run_cli, "export", "--db", "old.db", cwd=tmp_path)
    dump = tmp_path / "export.json"
    await asyncio.to_thread(dump.write_text, exported.stdout, encoding="utf-8")

    env, channel, alice = newsroom.env, newsroom.channel, newsroom.alice
    report = await import_files(env.bot.storage.publisher, [dump])

    assert (report.stored, report.failures) == (2, [])
    more = await click_crafted(env, alice, channel, f"brief:more:{gone.id}")
    assert "retracted" in more.response.content
    assert "The story was false." in more.response.content
    shown = await click_crafted(env, alice, channel, f"brief:more:{kept.id}")
    assert shown.response.embeds[0].title == "Kept"
    new = await publish(env, BriefContent(title="New", what_happened="A new story."))
    assert new.id == gone.id + 1  # never the retracted brief's number


@pytest.mark.parametrize("announce", [True, False])
async def test_an_import_is_auto_posted_at_once_only_when_announced(
    simcord_env: simcord.Env, tmp_path: Path, announce: bool
) -> None:
    """Imported files are published like any brief: announced, running bots post them at
    once; with `announce=False` they wait for the sweep (which then posts them as usual)."""
    env = simcord_env
    server = Server(env, "one")
    await server.subscribe()
    files = [brief_file(tmp_path, "a.json", "Imported one", "Imported two")]

    report = await import_files(env.bot.storage.publisher, files, announce=announce)
    await woken(env)

    assert report.stored == 2
    imported = ["Imported one", "Imported two"]
    assert server.posted_titles() == (imported if announce else [])
    await env.advance_time(2 * env.bot.settings.autopost_interval_seconds)
    assert server.posted_titles() == imported
