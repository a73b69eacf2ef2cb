"""A bot process that runs some of the shards serves only those shards' servers."""

from __future__ import annotations

from pathlib import Path

import pytest
import simcord

from bot.app import BriefBot, create_bot
from bot.config import Settings
from storage.base import Shards
from storage.models import BriefContent
from tests.databases import message_id
from tests.helpers import Restart, announce, poster


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Shard 1 of 2, as the second of two processes runs it."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=tmp_path / "briefs.db", shard_count=2, shard_ids=[1]
    )


def server(env: simcord.Env, shard: int) -> tuple[simcord.GuildHandle, simcord.ChannelHandle]:
    guild = env.create_guild(name=f"On shard {shard}", shard_id=shard)
    return guild, guild.create_text_channel("news")


async def test_only_this_process_shards_are_served(simcord_env: simcord.Env) -> None:
    bot: BriefBot = simcord_env.bot
    assert bot.served_shards() == Shards(2, (1,))
    ours, our_news = server(simcord_env, 1)
    theirs, their_news = server(simcord_env, 0)
    await simcord_env.settle()
    assert bot.get_guild(ours.id) is not None
    assert bot.get_guild(theirs.id) is None  # another process's shard

    # The other process subscribed its server in the shared database.
    await bot.storage.subscriptions.set_channel(theirs.id, their_news.id)
    await bot.storage.subscriptions.set_channel(ours.id, our_news.id)
    brief = await bot.storage.briefs.add(
        BriefContent(title="Shard news", what_happened="It works.")
    )
    await announce(simcord_env, brief)

    assert [m.embeds[0].title for m in our_news.history() if m.embeds] == ["Shard news"]
    assert their_news.history() == []
    touched = [r.path for r in simcord_env.http_requests if str(their_news.id) in r.path]
    assert touched == []  # not even a look: that server is the other process's to serve
    assert await message_id(bot.storage, theirs.id, brief.id) is None
    settings = await bot.storage.subscriptions.first(theirs.id)
    assert settings is not None
    assert (settings.paused_reason, settings.last_error) == (None, None)


@pytest.mark.parametrize(
    ("count", "ids", "served"),
    [
        (None, None, None),
        (1, None, None),
        (3, None, None),
        (3, [0, 1, 2], None),
        (3, [2, 0], (0, 2)),
    ],
)
def test_served_shards(tmp_path: Path, count: int | None, ids: list[int] | None, served) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=tmp_path / "b.db", shard_count=count, shard_ids=ids
    )
    bot = create_bot(settings)
    assert bot.served_shards() == (None if served is None else Shards(count or 1, served))


async def test_a_server_missing_from_the_gateway_is_retried_not_paused(
    simcord_env: simcord.Env,
) -> None:
    # As during an outage: the channel exists over REST, but the gateway has not sent the server.
    bot: BriefBot = simcord_env.bot
    unseen, news = server(simcord_env, 0)
    settings = await bot.storage.subscriptions.set_channel(unseen.id, news.id)
    await bot.storage.briefs.add(BriefContent(title="Waiting", what_happened="Still waiting."))
    delivery = poster(bot)

    assert await delivery.deliver(settings) == 0

    after = await bot.storage.subscriptions.first(unseen.id)
    assert after is not None
    assert after.paused_reason is None
    assert after.last_error == "Discord has not sent me this server yet; retrying."
    assert news.history() == []
    _, pending = await bot.storage.post_log.pending(after, limit=0)
    assert pending == 1  # nothing claimed: a later pass posts it


async def test_each_shard_is_logged_when_ready(
    restart: Restart, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="bot.app")
    await restart()
    ready = [r for r in caplog.records if r.getMessage() == "shard ready"]
    assert [(r.shard, r.shard_count) for r in ready] == [(1, 2)]  # type: ignore[attr-defined]
