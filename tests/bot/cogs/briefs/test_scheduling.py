"""Scheduled publishing as a newsroom uses it: a brief held until its time leaks through no
surface members can reach, publishers see it marked, and it goes out once, on time, after
restarts and downtime too."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
import simcord

from bot.app import BriefBot
from bot.cogs.briefs._lookup import REMOVED
from storage.models import BriefContent, utcnow
from storage.publishing import CLI
from tests.helpers import Server, World, click_crafted, form, poster, woken

SECRET = "Zeppelin"


def held_content(hours: float = 2, **fields: Any) -> BriefContent:
    values: dict[str, Any] = {
        "title": f"{SECRET} lands in the harbour",
        "what_happened": f"A {SECRET.lower()} will land in the harbour at dawn.",
        "impact": "The quay closes for the morning.",
        "body": "The full embargoed article.",
        "topics": ["airships"],
        "release_at": utcnow() + timedelta(hours=hours),
    }
    values.update(fields)
    return BriefContent.model_validate(values)


def said(result: Any) -> str:
    """Everything a member was shown: the message, its embeds and its followups."""
    messages = [result.response, *getattr(result, "followups", [])]
    parts: list[str] = []
    for message in messages:
        if message is None:
            continue
        parts.append(str(message.content or ""))
        for embed in message.embeds:
            parts += [str(embed.title or ""), str(embed.description or "")]
            parts += [f"{field.name} {field.value}" for field in embed.fields]
            parts.append(str(embed.footer.text or ""))
    return "\n".join(parts)


async def nothing_leaks(env: simcord.Env, member: Any, channel: Any, brief_id: int) -> None:
    """Assert that a member finds the held brief through no command, menu or button."""
    for command, options in [
        ("brief latest", {"count": 5}),
        ("brief show", {"brief": str(brief_id)}),
        ("brief show", {"brief": SECRET}),
        ("brief search", {"query": SECRET}),
        ("brief list", {}),
        ("brief topics", {}),
        ("brief list", {"topic": "airships"}),
    ]:
        result = await member.slash(channel, command, **options)
        shown = said(result).lower()  # a refusal may repeat what the member typed, no more
        assert "lands in the harbour" not in shown, command
        assert "quay closes" not in shown, command
        if command == "brief topics":
            assert "airships" not in shown
    for query in ("", SECRET.lower()[:4], str(brief_id)):
        choices = await member.autocomplete(channel, "brief show", "brief", query)
        assert all(SECRET not in choice["name"] for choice in choices)
    more = await click_crafted(env, member, channel, f"brief:more:{brief_id}")
    assert more.response.content == REMOVED


async def test_a_scheduled_brief_is_invisible_until_released_then_posted_once(
    simcord_env: simcord.Env, world: World
) -> None:
    env, alice, bob = simcord_env, world.alice, world.bob
    server = Server(env)
    await server.subscribe()

    shown = await alice.slash(world.channel, "brief add", release="in 2 hours")
    assert shown.modal is not None
    preview = await alice.submit_modal(
        shown,
        form(
            title=f"{SECRET} lands in the harbour",
            sections=(
                "🏷️TOPICS: airships\n"
                f"❓WHAT HAPPENED: A {SECRET.lower()} will land in the harbour at dawn.\n"
                "🎯IMPACT: The quay closes for the morning."
            ),
            article="The full embargoed article.",
        ),
    )
    assert "Held until" in preview.response.content
    done = await alice.click(preview.response.message, label="Schedule")
    assert "Scheduled as brief #1" in done.response.content
    await woken(env)

    await nothing_leaks(env, bob, world.channel, 1)
    await nothing_leaks(env, server.manager, server.news, 1)
    why = await server.manager.slash(server.news, "autopost why", brief="1")
    assert SECRET not in said(why)
    assert server.posted_titles() == []

    # Publishers see it, marked, to themselves only.
    own = await alice.slash(world.channel, "brief show", brief="1")
    assert own.ephemeral
    assert "Scheduled for" in own.response.content
    assert SECRET in own.response.embeds[0].title
    listed = await alice.slash(world.channel, "brief scheduled")
    assert listed.ephemeral
    assert SECRET in said(listed)
    [choice] = await alice.autocomplete(world.channel, "brief schedule", "brief", "zepp")
    assert choice["value"] == "1"
    more = await alice.click(own.response.message, label="More")
    assert "embargoed article" in said(more)

    released = await alice.slash(world.channel, "brief schedule", brief="1", when="now")
    assert "Released" in released.response.content
    await woken(env)
    assert server.posted_titles() == [f"{SECRET} lands in the harbour"]
    latest = await bob.slash(world.channel, "brief latest")
    assert SECRET in said(latest)
    # Nothing more goes out later: the sweep and another release find nothing to do.
    assert await env.bot.storage.publisher.release_due(now=utcnow() + timedelta(days=1)) == []
    await poster(env.bot).run()
    await env.settle()
    assert len(server.posted_titles()) == 1


async def test_schedule_refuses_an_unclear_time_with_the_reading_it_would_take(
    simcord_env: simcord.Env, world: World
) -> None:
    brief = await simcord_env.bot.storage.publisher.publish(held_content(), by=CLI)
    answer = await world.alice.slash(
        world.channel, "brief schedule", brief=str(brief.id), when="09:00"
    )
    assert answer.ephemeral
    assert "tomorrow 09:00" in answer.response.content
    unchanged = await simcord_env.bot.storage.briefs.get(brief.id, held=True)
    assert unchanged is not None
    assert unchanged.release_at == brief.release_at
    refused = await world.bob.slash(
        world.channel, "brief schedule", brief=str(brief.id), when="now"
    )
    assert refused.ephemeral
    assert await simcord_env.bot.storage.briefs.get(brief.id) is None  # still held
    bad = await world.alice.slash(world.channel, "brief add", release="03/04/2027 09:00")
    assert bad.modal is None
    assert "2027-04-03" in bad.response.content or "2027-03-04" in bad.response.content


async def test_rescheduling_and_withdrawing_show_in_history(
    simcord_env: simcord.Env, world: World
) -> None:
    alice = world.alice
    brief = await simcord_env.bot.storage.publisher.publish(held_content(), by=CLI)
    moved = await alice.slash(
        world.channel, "brief schedule", brief=str(brief.id), when="in 5 hours"
    )
    assert "now scheduled for" in moved.response.content
    gone = await alice.slash(world.channel, "brief schedule", brief=str(brief.id), when="cancel")
    assert "Withdrew" in gone.response.content
    history = await alice.slash(world.channel, "brief history", brief=str(brief.id))
    text = said(history)
    assert text.count("**Scheduled**") == 2
    assert "**Withdrawn before release**" in text
    assert await simcord_env.bot.storage.briefs.get(brief.id, held=True) is None


async def test_a_brief_due_during_downtime_goes_out_once_at_start(
    simcord_env: simcord.Env, restart: Any, caplog: pytest.LogCaptureFixture
) -> None:
    env = simcord_env
    caplog.set_level(logging.INFO, logger="bot.briefs")
    server = Server(env)
    await server.subscribe()
    brief = await env.bot.storage.publisher.publish(held_content(), by=CLI)
    async with env.bot.storage.db.transaction() as conn:  # its time passed while we were down
        await conn.execute(
            "UPDATE briefs SET release_at = ? WHERE id = ?",
            utcnow() - timedelta(hours=1),
            brief.id,
        )
    bot: BriefBot = await restart()
    for _ in range(100):  # the release loop's first look runs as the feature loads
        if await bot.storage.briefs.get(brief.id) is not None:
            break
        await asyncio.sleep(0.05)
    await woken(env)
    assert server.posted_titles() == [f"{SECRET} lands in the harbour"]
    [entry] = [e for e in await bot.storage.briefs.history(brief.id) if e.action == "release"]
    assert entry.actor_id is None
    [late] = [r for r in caplog.records if r.getMessage().startswith("released late")]
    assert late.brief == brief.id  # type: ignore[attr-defined]
    assert late.late_s >= 3600  # type: ignore[attr-defined]


async def test_a_release_cut_short_before_its_announcement_still_posts_once(
    simcord_env: simcord.Env, restart: Any
) -> None:
    env = simcord_env
    server = Server(env)
    await server.subscribe()
    brief = await env.bot.storage.publisher.publish(held_content(), by=CLI)
    # The release committed, and the process died before announcing it.
    [released] = await env.bot.storage.briefs.release_due(now=utcnow() + timedelta(hours=3))
    assert released.brief_id == brief.id
    bot: BriefBot = await restart()
    await poster(bot).run()
    await env.settle()
    assert server.posted_titles() == [f"{SECRET} lands in the harbour"]
    await poster(bot).run()
    await env.settle()
    assert len(server.posted_titles()) == 1
