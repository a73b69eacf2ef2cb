"""Topics as publishers give them (form, file) and members use them (embed, filters, lists)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simcord import assert_error

from bot.cogs.briefs._lookup import EMPTY_LIBRARY, NO_TOPICS, TOPICS_PAGE_SIZE
from bot.errors import NotFoundError
from bot.ui.embeds import TOPICS
from storage.models import Brief, BriefContent
from tests.helpers import (
    ARTICLE,
    SECTIONS,
    Restart,
    edited,
    last,
    open_edit,
    preview_by_form,
    publish_by_form,
)

TOPICS_LINE = "🏷️ TOPICS: Transport, local news"


def content(n: int, *tags: str, **fields: object) -> BriefContent:
    """A small brief numbered n, published n hours after a fixed start, with these topics."""
    values: dict[str, object] = {
        "title": f"Harbour story {n}",
        "what_happened": f"Event {n} happened by the harbour.",
        "topics": list(tags),
        "published_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n),
    }
    values.update(fields)
    return BriefContent.model_validate(values)


async def add(env, *briefs: BriefContent) -> list[Brief]:
    return await env.bot.storage.briefs.add_many(list(briefs))


def topics_field(message) -> str | None:
    """The value of the Topics field of a message's (first) embed, if it has one."""
    fields = {field.name: field.value for field in message.embeds[0].fields}
    return fields.get(TOPICS)


# --- publishers: form and file ---------------------------------------------------------------


async def test_topics_typed_in_the_form_show_in_the_preview_and_on_the_brief(world):
    preview = await preview_by_form(
        world.alice, world.channel, sections=f"{TOPICS_LINE}\n{SECTIONS}", article=ARTICLE
    )
    assert topics_field(preview.response) == "Transport · local news"

    await world.alice.click(preview.response.message, label="Publish")
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.topics == ["Transport", "local news"]

    shown = await world.bob.slash(world.channel, "brief latest")
    assert topics_field(shown.response) == "Transport · local news"
    assert shown.response.embeds[0].fields[-1].name == TOPICS


async def test_the_edit_form_holds_the_topics_line_and_saves_its_changes(world):
    await publish_by_form(world.alice, world.channel, sections=f"{TOPICS_LINE}\n{SECTIONS}")

    shown, defaults = await open_edit(world.alice, world.channel)
    assert defaults["brief-form:sections"].split("\n")[:2] == [
        "🏷️TOPICS: Transport, local news",  # no title line: the title is derived
        "❓WHAT HAPPENED: The harbour ferry will run every ten minutes from Monday.",
    ]
    values = edited(defaults, "Transport, local news", "Transport, ferries")
    preview = await world.alice.submit_modal(shown, values)
    assert topics_field(preview.response) == "Transport · ferries"
    await world.alice.click(preview.response.message, label="Save")
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.topics == ["Transport", "ferries"]

    shown, defaults = await open_edit(world.alice, world.channel)
    preview = await world.alice.submit_modal(
        shown, edited(defaults, "🏷️TOPICS: Transport, ferries\n", "")
    )
    assert topics_field(preview.response) is None
    await world.alice.click(preview.response.message, label="Save")
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.topics == []


async def test_a_misplaced_or_too_long_topic_in_the_form_is_refused_clearly(world):
    misplaced = await preview_by_form(
        world.alice, world.channel, sections=f"{SECTIONS}\n{TOPICS_LINE}"
    )
    assert misplaced.ephemeral
    assert "the TOPICS line goes before the first section" in misplaced.response.content

    long = await preview_by_form(
        world.alice, world.channel, sections=f"TOPICS: {'x' * 41}\n{SECTIONS}"
    )
    assert "longer than 40 characters" in long.response.content
    assert await world.env.bot.storage.briefs.count() == 0


async def test_a_files_topics_line_gives_the_brief_its_topics(world):
    text = f"# Ferry news\n{TOPICS_LINE}\n{SECTIONS}\n---\n{ARTICLE}\n"
    result = await world.alice.slash(world.channel, "brief add", file=("ferry.txt", text.encode()))

    preview = last(result)
    assert topics_field(preview) == "Transport · local news"
    await world.alice.click(preview.message, label="Publish")
    stored = await world.env.bot.storage.briefs.get(1)
    assert stored is not None
    assert stored.topics == ["Transport", "local news"]


async def test_a_replacement_file_without_topics_keeps_the_briefs(world):
    (stored,) = await add(world.env, content(1, "ferries"))
    text = f"# Ferry news\n{SECTIONS}\n---\n{ARTICLE}\n"

    result = await world.alice.slash(
        world.channel, "brief edit", brief=str(stored.id), file=("edit.txt", text.encode())
    )

    await world.alice.click(last(result).message, label="Save")
    after = await world.env.bot.storage.briefs.get(stored.id)
    assert after is not None
    assert (after.title, after.topics) == ("Ferry news", ["ferries"])


# --- members: lists, search and suggestions ---------------------------------------------------


async def test_list_of_a_topic_pages_its_briefs_after_a_restart_too(newsroom, restart: Restart):
    await add(
        newsroom.env,
        *(content(n, "Sport" if n % 2 else "sport", "extra") for n in range(1, 25)),
        *(content(n, "weather") for n in range(25, 30)),
    )

    first = await newsroom.alice.slash(newsroom.channel, "brief list", topic="SPORT")

    assert first.ephemeral
    embed = first.response.embeds[0]
    assert embed.title == "📚 Briefs · 🏷️ Sport"
    assert embed.footer.text == "Page 1/3 · 24 briefs"
    assert "Harbour story 24" in embed.description
    assert "Harbour story 29" not in embed.description

    await restart()
    second = await newsroom.alice.click(first.response.message, label="Next ▶")
    embed = second.response.embeds[0]
    assert embed.footer.text == "Page 2/3 · 24 briefs"
    assert "Harbour story 14" in embed.description
    assert "Harbour story 4" not in embed.description

    everything = await newsroom.alice.slash(newsroom.channel, "brief list")
    assert everything.response.embeds[0].footer.text == "Page 1/3 · 29 briefs"


async def test_search_in_a_topic_keeps_to_its_briefs_and_pages(newsroom):
    await add(
        newsroom.env,
        *(content(n, "ferries", what_happened=f"The ferry ran {n}.") for n in range(1, 8)),
        *(content(n, "trains", what_happened=f"The ferry waited {n}.") for n in range(8, 12)),
    )

    result = await newsroom.alice.slash(
        newsroom.channel, "brief search", query="ferry", topic="Ferries"
    )

    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.title == "🔎 Results for “ferry” in 🏷️ ferries"
    assert embed.footer.text == "Page 1/2 · 7 results"
    second = await newsroom.alice.click(result.response.message, label="Next ▶")
    assert second.response.embeds[0].footer.text == "Page 2/2 · 7 results"
    shown = second.response.embeds[0].description + embed.description
    assert all(f"Harbour story {n}**" in shown for n in range(1, 8))
    assert not any(f"Harbour story {n}**" in shown for n in range(8, 12))

    nothing = await newsroom.alice.slash(
        newsroom.channel, "brief search", query="lighthouse", topic="ferries"
    )
    assert nothing.ephemeral
    assert "No briefs with the topic “ferries” match “lighthouse”" in nothing.response.content


async def test_an_unknown_topic_is_answered_privately(newsroom):
    await add(newsroom.env, content(1, "sport"))

    for result in (
        await newsroom.alice.slash(newsroom.channel, "brief list", topic="cricket"),
        await newsroom.alice.slash(
            newsroom.channel, "brief search", query="harbour", topic="cricket"
        ),
    ):
        assert result.ephemeral
        assert result.response.content.startswith("No brief has the topic “cricket”.")
        assert "/brief topics" in result.response.content
    assert_error(newsroom.env, NotFoundError)


async def test_topic_suggestions_offer_known_topics_with_their_counts(newsroom):
    await add(
        newsroom.env,
        *(content(n, "sport", "local news") for n in range(3)),
        content(3, "Sports cars"),
        content(4, "newsletters"),
        *(content(n, f"topic {n:02d}") for n in range(10, 40)),
    )

    for command, filled in (("brief list", {}), ("brief search", {"query": "harbour"})):
        choices = await newsroom.alice.autocomplete(
            newsroom.channel, command, "topic", "SPO", **filled
        )
        assert choices == [
            {"name": "sport · 3 briefs", "value": "sport"},
            {"name": "Sports cars · 1 brief", "value": "Sports cars"},
        ]
    news = await newsroom.alice.autocomplete(newsroom.channel, "brief list", "topic", "news")
    assert [c["value"] for c in news] == ["newsletters", "local news"]
    every = await newsroom.alice.autocomplete(newsroom.channel, "brief list", "topic", "")
    assert len(every) == 25
    assert [c["value"] for c in every[:2]] == ["local news", "sport"]


# --- /brief topics -------------------------------------------------------------------------


async def test_brief_topics_lists_them_most_used_first_and_opens_one(newsroom):
    await add(
        newsroom.env,
        content(1, "weather"),
        content(2, "Sport", "weather"),
        content(3, "sport"),
        content(4, "sport"),
        content(5),
    )

    result = await newsroom.alice.slash(newsroom.channel, "brief topics")

    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.title == "🏷️ Topics"
    assert embed.description == "**sport** · 3 briefs\n**weather** · 2 briefs"
    assert embed.footer.text == "Page 1/1 · 2 topics"

    opened = await newsroom.alice.select(
        result.response.message, ["weather"], custom_id="brief:open-topic"
    )
    assert opened.ephemeral
    assert opened.response.embeds[0].title == "📚 Briefs · 🏷️ weather"
    assert opened.response.embeds[0].footer.text == "Page 1/1 · 2 briefs"


async def test_brief_topics_pages_when_there_are_many(newsroom, restart: Restart):
    await add(newsroom.env, *(content(n, f"topic {n:02d}") for n in range(TOPICS_PAGE_SIZE + 5)))

    first = await newsroom.alice.slash(newsroom.channel, "brief topics")
    assert first.response.embeds[0].footer.text == f"Page 1/2 · {TOPICS_PAGE_SIZE + 5} topics"

    await restart()
    second = await newsroom.alice.click(first.response.message, label="Next ▶")
    description = second.response.embeds[0].description
    assert description.count("\n") == 4
    assert f"**topic {TOPICS_PAGE_SIZE + 4:02d}** · 1 brief" in description


async def test_brief_topics_says_when_there_are_none(newsroom):
    empty = await newsroom.alice.slash(newsroom.channel, "brief topics")
    assert empty.ephemeral
    assert empty.response.content == EMPTY_LIBRARY

    await add(newsroom.env, content(1))
    untagged = await newsroom.alice.slash(newsroom.channel, "brief topics")
    assert untagged.ephemeral
    assert untagged.response.content == NO_TOPICS
    assert not newsroom.env.errors  # answers, not failures


async def test_a_topics_list_whose_briefs_went_says_so(newsroom):
    gone = await add(newsroom.env, *(content(n, "sport") for n in range(11)), content(11))
    listed = await newsroom.alice.slash(newsroom.channel, "brief list", topic="sport")
    for brief in gone[:-1]:
        await newsroom.env.bot.storage.briefs.delete(brief.id, actor_id=None)

    again = await newsroom.alice.click(listed.response.message, label="Next ▶")

    assert again.ephemeral
    assert again.response.content.startswith("No brief has the topic “sport”.")
