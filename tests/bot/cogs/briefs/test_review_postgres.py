"""On PostgreSQL, a draft submitted by another process (a source that requires review) gets
its review card in this bot at once, and editors approving it from two processes publish once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
import simcord

from bot.app import BriefBot
from bot.config import Settings
from storage.backends import open_storage
from storage.models import BriefContent
from storage.publishing import Source, User
from tests.databases import message_id, postgres_schema

#: Real seconds to wait for the card and the post (a guard against hangs, not a timing).
WAIT_SECONDS = 20.0


@pytest_asyncio.fixture
async def settings(tmp_path: Path) -> AsyncIterator[Settings]:
    """One bot on PostgreSQL, with sweeps too slow to be what delivers."""
    async with postgres_schema() as url:
        yield Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=url, shard_count=1, autopost_interval_seconds=3600
        )


async def test_a_draft_pushed_elsewhere_is_carded_here_and_approved_once(
    simcord_env: simcord.Env, settings: Settings
) -> None:
    bot: BriefBot = simcord_env.bot
    guild = simcord_env.create_guild(name="Harbour")
    news = guild.create_text_channel("news")
    review = guild.create_text_channel("review")
    editor = guild.add_member(simcord_env.create_user("editor"))
    settings.admin_user_ids.append(editor.id)
    settings.review_channel_id = review.id
    await bot.storage.subscriptions.set_channel(guild.id, news.id)
    await simcord_env.settle()

    other = await open_storage(settings.database)  # the API's process
    try:
        await other.sources.add("wire")
        await other.sources.set_review("wire", True)
        pushed = await other.publisher.upsert(
            Source("wire", "the wire"), "w1", BriefContent(title="Wire draft", what_happened="Hi.")
        )
        brief_id = pushed.brief.id
        async with asyncio.timeout(WAIT_SECONDS):
            while not review.history():
                await asyncio.sleep(0.05)
                await simcord_env.settle()
        [card] = review.history()
        assert "Waiting for review" in (card.content or "")
        # Another editor approves in the other process as this one clicks.
        clicked, elsewhere = await asyncio.gather(
            editor.click(card, label="Approve"), other.publisher.approve(brief_id, by=User(9))
        )
    finally:
        await other.close()
    approvals = [e for e in await bot.storage.briefs.history(brief_id) if e.action == "approve"]
    assert len(approvals) == 1
    assert (elsewhere is not None) != ("Approved brief" in (clicked.response.content or ""))
    async with asyncio.timeout(WAIT_SECONDS):
        while await message_id(bot.storage, guild.id, brief_id) is None:
            await asyncio.sleep(0.05)
            await simcord_env.settle()
    assert [m.embeds[0].title for m in news.history()] == ["Wire draft"]
