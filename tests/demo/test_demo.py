"""`python -m bot demo` builds what it promises, before any browser opens its page.

A simulated server whose #news is subscribed to auto-posts, the sample library of docs/examples
published into it (and so posted to #news), and a visitor who is a publisher and a server
manager; `--db FILE` shows a copy of a library, or with `--write` the library itself.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import discord
import pytest
import simcord

from bot.app import create_bot
from bot.brief.pages import paginate
from bot.brief.parsing import parse_brief
from bot.cli.demo import (
    DEMO_GUILD_ID,
    EXAMPLES,
    DemoError,
    DemoServer,
    demo_api,
    demo_feed,
    demo_server,
    other_servers,
    prepare_library,
    push_command,
    read_examples,
)
from bot.cli.demo_feed import DEMO_FEED
from bot.cogs.briefs._lookup import NO_TOPICS
from bot.config import Settings
from bot.ui.replies import is_expected_failure
from tests.contract.check import check_requests, report
from tests.helpers import ROOT, last, run_cli, woken

NEW_BRIEF = (
    "❓WHAT HAPPENED: The harbour ferry will run every ten minutes from Monday.\n"
    "🎯IMPACT: Waiting times at rush hour should halve.\n"
    "The ferry company hired six more crew.\n"
).encode()
FERRY = "The harbour ferry will run every ten minutes from Monday."


def test_the_samples_are_valid_and_two_are_long_enough_to_page() -> None:
    briefs = [parse_brief(data) for _, data in read_examples()]
    assert len(briefs) >= 5
    assert briefs[-1].title == "A bright comet returns this weekend"  # the newest
    assert sum(len(paginate(brief.body)) > 1 for brief in briefs) >= 2


async def test_demo_server_is_subscribed_seeded_and_the_visitor_publishes(
    settings: Settings, tmp_path: Path
) -> None:
    examples = read_examples()
    async with demo_server(settings, tmp_path / "demo.db", examples=examples) as server:
        assert server.guild.id == DEMO_GUILD_ID
        expected = [parse_brief(data).title for _, data in examples]
        assert titles(server) == expected  # each published, then auto-posted once, oldest first
        assert abs(autoposts(server)[-1].created_at - datetime.now(UTC)) < timedelta(minutes=5)

        latest = await server.visitor.slash(server.news, "brief latest")
        assert latest.response.embeds[0].title == expected[-1]
        article = await server.visitor.click(latest.response, label="More")
        assert article.ephemeral
        assert "The comet brightened much faster" in article.response.embeds[0].description

        status = await server.visitor.slash(server.news, "autopost status")
        assert status.ephemeral
        assert server.news.mention in str(status.response.content)

        preview = await server.visitor.slash(
            server.news, "brief add", file=("ferry.txt", NEW_BRIEF)
        )
        assert preview.ephemeral
        await server.visitor.click(preview.response, label="Publish")
        assert titles(server) == [*expected, FERRY]  # a publisher, and #news is subscribed

        async with server.env.preview(
            server.news, viewers=[server.visitor], layout="channel"
        ) as page:
            assert page.url.startswith("http://127.0.0.1:")
            async with aiohttp.ClientSession() as http, http.get(page.url) as answer:
                assert answer.status == 200
                assert answer.content_type == "text/html"

        unexpected = [error for error in server.env.errors if not is_expected_failure(error)]
        assert not unexpected
        violations = check_requests(server.env.http_requests)
        assert not violations, report(violations)


async def test_ordinary_answers_are_not_failures_and_link_to_no_discord_com(
    settings: Settings, tmp_path: Path
) -> None:
    async with demo_server(settings, tmp_path / "demo.db", examples=read_examples()) as server:
        cursor = server.env.error_cursor  # what the demo's page counts failures from

        topics = await server.visitor.slash(server.news, "brief topics")
        assert topics.response.content == NO_TOPICS  # the samples have no topics
        nothing = await server.visitor.slash(server.news, "brief search", query="zebra")
        assert "No briefs match “zebra”" in nothing.response.content
        tested = await server.visitor.slash(server.news, "autopost test")
        said = last(tested).content
        assert said == "The latest brief, #7, is already posted there."

        assert server.env.errors_since(cursor) == ()
        answers = [topics.response, nothing.response, *tested.followups]
        assert not any("discord.com" in str(answer.content) for answer in answers)


async def test_the_demo_tells_the_wall_clock_time(settings: Settings, tmp_path: Path) -> None:
    async with demo_server(settings, tmp_path / "demo.db", examples=read_examples()[:1]) as server:
        await asyncio.to_thread(time.sleep, 1.5)  # real time passes; simcord's clock stands still
        assert abs(server.env.now() - datetime.now(UTC)) < timedelta(seconds=0.5)
        latest = await server.visitor.slash(server.news, "brief latest")
        sent = latest.response.message.created_at
        assert abs(sent - datetime.now(UTC)) < timedelta(seconds=1)


def titles(server: DemoServer) -> list[str | None]:
    """The titles of the bot's auto-posts in #news (not answers to commands), oldest first."""
    return [message.embeds[0].title for message in autoposts(server)]


def autoposts(server: DemoServer) -> list[discord.Message]:
    """The bot's messages in #news that answer no command and are no review card: its
    auto-posts, oldest first."""
    bot_id = server.bot.user.id
    return [
        message
        for message in server.news.history()
        if message.author.id == bot_id
        and message.interaction_metadata is None
        and not (message.content or "").startswith("Draft #")  # a review card
    ]


async def deployed_library(path: Path) -> int:
    """Make a library as a deployed bot leaves it: a server auto-posting, a brief posted there.

    Returns the server's id.
    """
    settings = Settings(_env_file=None, database_path=path, shard_count=1)
    bot = create_bot(settings)
    try:
        async with simcord.run(bot) as env:
            guild = env.create_guild("Elsewhere")
            news = guild.create_text_channel("news")
            managers = guild.create_role(
                "Managers", permissions=discord.Permissions(manage_guild=True)
            )
            manager = guild.add_member(env.create_user("manager"), roles=[managers])
            settings.admin_user_ids = [manager.id]
            await manager.slash(news, "autopost channel", channel=news)
            preview = await manager.slash(news, "brief add", file=("ferry.txt", NEW_BRIEF))
            await manager.click(preview.response, label="Publish")
            assert len(news.history()) == 1
            return guild.id
    finally:
        await bot.storage.close()


async def test_db_shows_a_copy_without_the_other_servers(
    settings: Settings, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.db"
    elsewhere = await deployed_library(mine)
    before = mine.read_bytes()
    (tmp_path / "demo").mkdir()

    database, examples = await prepare_library(tmp_path / "demo", mine, write=False)

    assert (database.parent, examples) == (tmp_path / "demo", [])
    assert mine.read_bytes() == before
    assert other_servers(mine) == [elsewhere]
    assert other_servers(database) == []
    async with demo_server(settings, database) as server:
        latest = await server.visitor.slash(server.news, "brief latest")
        assert latest.response.embeds[0].title == FERRY
        assert titles(server) == []  # only briefs published from now on are posted


async def test_write_uses_the_library_itself_unless_other_servers_post_from_it(
    settings: Settings, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.db"
    async with demo_server(settings, mine, examples=read_examples()[:1]):
        pass  # an earlier demo with --write: its own server's rows are left
    assert await prepare_library(tmp_path, mine, write=True) == (mine, [])
    async with demo_server(settings, mine) as server:  # the commands are synced again
        latest = await server.visitor.slash(server.news, "brief latest")
        assert latest.response.embeds[0].title == parse_brief(read_examples()[0][1]).title

    shared = tmp_path / "shared.db"
    await deployed_library(shared)
    with pytest.raises(DemoError, match="1 server"):
        await prepare_library(tmp_path, shared, write=True)


def test_demo_refuses_a_missing_library_and_write_without_one(tmp_path: Path) -> None:
    missing = run_cli("demo", "--no-browser", "--db", "nowhere.db", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "error: cannot open sqlite:///nowhere.db: no such database file"
    )
    assert not (tmp_path / "nowhere.db").exists()

    alone = run_cli("demo", "--write", cwd=tmp_path)
    assert alone.returncode == 2
    assert "--write needs --db" in alone.stderr


def test_examples_ship_with_the_clone() -> None:
    assert EXAMPLES.is_dir()
    assert (EXAMPLES / "07-comet-weekend.txt").is_file()


async def test_the_demo_serves_the_api_and_its_curl_pushes_the_sample_into_news(
    settings: Settings, tmp_path: Path
) -> None:
    async with (
        demo_server(settings, tmp_path / "demo.db") as server,
        demo_api(server) as (api, token),
    ):
        words = shlex.split(push_command(api, token))
        assert words[:3] == ["curl", "-X", "PUT"]
        url = words[3]
        sample = (ROOT / words[-1].removeprefix("@")).read_bytes()
        headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
        async with (
            aiohttp.ClientSession() as http,
            http.put(url, data=sample, headers=headers) as r,
        ):
            assert r.status == 201
            title = (await r.json())["brief"]["title"]
        await woken(server.env)
        assert titles(server)[-1] == title


async def test_the_sample_feed_publishes_into_news_and_its_edit_corrects_the_post(
    settings: Settings, tmp_path: Path
) -> None:
    async with (
        demo_server(settings, tmp_path / "demo.db") as server,
        demo_feed(server) as page,
        aiohttp.ClientSession() as http,
    ):
        before = titles(server)
        stored = await server.bot.storage.briefs.by_external(DEMO_FEED, "gazette-1")
        assert stored is not None  # the feed's backlog: stored, searchable
        assert stored.title not in before  # and never posted

        async with http.post(f"{page}/publish") as response:
            assert response.status == 200  # the page again, after the redirect
            assert "Night ferry returns on Fridays" in await response.text()
        await woken(server.env)
        assert titles(server)[-1] == "Night ferry returns on Fridays"

        async with http.post(f"{page}/edit") as response:
            assert response.status == 200
        await woken(server.env)
        (post,) = [
            m for m in server.news.history() if m.embeds and m.embeds[0].title == titles(server)[-1]
        ]
        assert "Correction:" in str(post.embeds[0].to_dict())
        assert "Updated from the source" in str(post.embeds[0].to_dict())


async def test_the_review_loop_runs_in_the_demo(settings: Settings, tmp_path: Path) -> None:
    async with demo_server(settings, tmp_path / "demo.db") as server:
        visitor = server.visitor
        switched = await visitor.slash(server.news, "demo-role", **{"as": "contributor"})
        assert "contributor" in switched.response.content
        preview = await visitor.slash(server.news, "brief add", file=("ferry.txt", NEW_BRIEF))
        submitted = await visitor.click(preview.response, label="Submit for review")
        assert "Submitted draft #1" in submitted.response.content
        for _ in range(100):  # the card follows the draft's announcement
            cards = [m for m in server.news.history() if "Draft #1" in (m.content or "")]
            if cards:
                break
            await asyncio.sleep(0.02)
            await server.env.settle()
        [card] = cards
        assert FERRY not in titles(server)  # not posted: a draft
        refused = await visitor.click(card, label="Approve")  # a contributor cannot
        assert refused.ephemeral
        await visitor.slash(server.news, "demo-role", **{"as": "editor"})
        approved = await visitor.click(card, label="Approve")
        assert "Approved brief #1" in approved.response.content
        for _ in range(100):
            if FERRY in titles(server):
                break
            await asyncio.sleep(0.02)
            await server.env.settle()
        assert titles(server) == [FERRY]
        async with server.env.preview(
            server.news, viewers=[server.visitor], layout="channel"
        ) as page:
            assert page.url.startswith("http://127.0.0.1:")
