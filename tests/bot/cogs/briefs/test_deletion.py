"""Publishers delete briefs: a confirmation first, then gone everywhere, after restarts too."""

from __future__ import annotations

from tests.helpers import (
    ARTICLE,
    Restart,
    brief_count,
    buttons,
    publish_by_form,
)


async def test_delete_confirms_then_removes_everywhere(world):
    await publish_by_form(world.alice, world.channel, article=ARTICLE)
    post = await world.bob.slash(world.channel, "brief latest")

    asked = await world.alice.slash(world.channel, "brief delete", brief="1")

    assert asked.ephemeral
    assert "Delete brief #1?" in asked.response.content
    assert buttons(asked.response)["Delete"] == "brief:delete:confirm:1"
    assert await brief_count(world.env) == 1

    done = await world.alice.click(asked.response.message, label="Delete")

    assert "Deleted brief #1" in done.response.content
    assert await brief_count(world.env) == 0
    missing = await world.bob.slash(world.channel, "brief show", brief="1")
    assert "couldn't find" in missing.response.content
    more = await world.bob.click(post.response.message, label="More")
    assert "retracted" in more.response.content

    history = await world.alice.slash(world.channel, "brief history", brief="1")
    description = history.response.embeds[0].description
    assert "**Deleted** by" in description
    assert "Removed" in history.response.embeds[0].footer.text


async def test_delete_cancel_keeps_the_brief(world):
    await publish_by_form(world.alice, world.channel)
    asked = await world.alice.slash(world.channel, "brief delete", brief="1")

    kept = await world.alice.click(asked.response.message, label="Cancel")

    assert "Kept brief #1" in kept.response.content
    assert await brief_count(world.env) == 1


async def test_delete_survives_restart(world, restart: Restart):
    await publish_by_form(world.alice, world.channel)
    asked = await world.alice.slash(world.channel, "brief delete", brief="1")

    await restart()
    done = await world.alice.click(asked.response.message, label="Delete")

    assert "Deleted brief #1" in done.response.content
    assert await brief_count(world.env) == 0


async def test_a_reason_given_with_delete_is_kept_through_a_restart_and_shown(
    world, restart: Restart
):
    await publish_by_form(world.alice, world.channel, article=ARTICLE)
    post = await world.bob.slash(world.channel, "brief latest")
    asked = await world.alice.slash(
        world.channel, "brief delete", brief="1", reason="The ferry times were wrong."
    )
    assert "with your reason" in asked.response.content
    assert buttons(asked.response)["Delete"].startswith("brief:delete:confirm:1:")

    await restart()
    done = await world.alice.click(asked.response.message, label="Delete")

    assert "Deleted brief #1" in done.response.content
    more = await world.bob.click(post.response.message, label="More")
    assert "retracted" in more.response.content
    assert "The ferry times were wrong." in more.response.content
    history = await world.alice.slash(world.channel, "brief history", brief="1")
    assert "reason: “The ferry times were wrong.”" in history.response.embeds[0].description
    [entry] = [e for e in await world.env.bot.storage.briefs.history(1) if e.action == "delete"]
    assert entry.snapshot["body"] == ARTICLE  # the audit keeps the text
    async with world.env.bot.storage.db.read() as conn:
        assert await conn.fetchval("SELECT count(*) FROM bot_state WHERE key LIKE 'delete%'") == 0
