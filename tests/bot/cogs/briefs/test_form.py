"""The add/edit form: what it refuses, and forms that no longer live give back what was typed."""

from __future__ import annotations

import pytest

from bot.brief.drafts import DRAFT_TTL_SECONDS
from bot.brief.parsing import parse_brief
from tests.helpers import (
    ARTICLE,
    Restart,
    brief_count,
    edited,
    form,
    open_edit,
    preview_by_form,
    publish_by_form,
)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"sections": "Some text without any labels."}, "WHAT HAPPENED"),
        ({"sections": "👤 WHO WAS INVOLVED: only this"}, "WHAT HAPPENED"),
        ({"sections": "❓ WHAT HAPPENED: x\n❓ WHAT HAPPENED: y"}, "appears twice"),
        ({"source_url": "not a link"}, "source URL"),
        ({"image_url": "ftp://x.test/a.png"}, "image URL"),
        ({"source_url": "https://x.test/a story"}, "spaces"),
        ({"source_url": "https://x.test/" + "é" * 100}, "at most 512"),
    ],
)
async def test_bad_form_input_is_refused_clearly(world, values: dict[str, str], expected: str):
    result = await preview_by_form(world.alice, world.channel, **values)

    assert result.ephemeral
    assert expected in result.response.content
    assert result.response.components == []
    assert await brief_count(world.env) == 0


@pytest.mark.parametrize("when", ["after its 15 minutes", "after a restart"])
async def test_a_form_that_no_longer_lives_is_answered_with_the_text_typed(
    world, restart: Restart, when: str
):
    shown = await world.alice.slash(world.channel, "brief add")
    if when == "after a restart":
        await restart()
    else:
        await world.env.advance_time(DRAFT_TTL_SECONDS + 1)

    late = await world.alice.submit_modal(
        shown, form(title="Ferry news", article=ARTICLE, source_url="https://x.test/a")
    )

    assert late.acknowledged
    assert late.ephemeral
    assert "expired" in late.response.content
    assert "nothing was stored" in late.response.content
    assert "/brief add file:" in late.response.content
    assert "https://x.test/a" in late.response.content
    (attachment,) = late.response.attachments
    text = (await attachment.read()).decode()
    assert text.startswith("# Ferry news\n")
    assert ARTICLE in text
    assert parse_brief(text).what_happened.startswith("The harbour ferry")
    assert await brief_count(world.env) == 0


async def test_an_expired_edit_form_points_to_editing_that_brief(world, restart: Restart):
    await publish_by_form(world.alice, world.channel, article=ARTICLE)
    shown, values = await open_edit(world.alice, world.channel)
    await restart()

    late = await world.alice.submit_modal(shown, edited(values, "ten", "six"))

    assert "/brief edit brief:1 file:" in late.response.content
    assert "six minutes" in (await late.response.attachments[0].read()).decode()
    assert "six" not in (await world.env.bot.storage.briefs.get(1)).what_happened


async def test_a_live_form_is_answered_once(world):
    preview = await preview_by_form(world.alice, world.channel)
    assert preview.response.embeds
    assert preview.followups == []
