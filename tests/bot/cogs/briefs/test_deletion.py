"""Publishers delete briefs: a confirmation first, then gone everywhere, after restarts too."""

from __future__ import annotations

from bot.cogs.briefs._deletion import CONFIRM_SECONDS, REASON_KEY
from bot.limits import INTERACTION_TOKEN_SECONDS
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


async def test_an_unanswered_delete_question_expires_and_says_so(world):
    await publish_by_form(world.alice, world.channel)
    asked = await world.alice.slash(
        world.channel, "brief delete", brief="1", reason="Wrong ferry times."
    )
    token = buttons(asked.response)["Delete"].rpartition(":")[2]
    key = REASON_KEY.format(token=token)
    assert await world.env.bot.storage.state.get(key) == "Wrong ferry times."

    await world.env.advance_time(CONFIRM_SECONDS - 5)
    assert buttons(asked.response)  # still waiting
    await world.env.advance_time(10)

    assert "expired" in asked.response.content
    assert "brief #1 is unchanged" in asked.response.content
    assert asked.response.components == []
    assert asked.response.embeds == []
    assert await brief_count(world.env) == 1
    assert await world.env.bot.storage.state.get(key) is None  # forgotten with the question


async def test_an_answered_delete_question_is_not_turned_into_expired(world):
    await publish_by_form(world.alice, world.channel)
    asked = await world.alice.slash(world.channel, "brief delete", brief="1")
    kept = await world.alice.click(asked.response.message, label="Cancel")
    assert "Kept brief #1" in kept.response.content

    await world.env.advance_time(CONFIRM_SECONDS + 60)

    assert "Kept brief #1" in asked.response.content
    assert await brief_count(world.env) == 1


async def test_a_click_on_an_expired_question_after_a_restart_changes_nothing(
    world, restart: Restart
):
    await publish_by_form(world.alice, world.channel)
    asked = await world.alice.slash(world.channel, "brief delete", brief="1")
    message = asked.response.message

    await restart()
    await world.env.advance_time(CONFIRM_SECONDS + 1)
    late = await world.alice.click(message, label="Delete")

    assert "expired" in late.response.content
    assert await brief_count(world.env) == 1


def test_a_question_can_still_be_edited_when_it_lapses():
    assert CONFIRM_SECONDS < INTERACTION_TOKEN_SECONDS
