"""Lookups as members use them: slash commands, autocomplete, More and paging, across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from simcord import assert_error

from bot.app import BriefBot
from bot.brief.parsing import parse_brief
from bot.errors import NotFoundError
from storage.base import SEARCH_COUNT_CAP
from storage.models import Brief, BriefContent
from tests.helpers import EXAMPLES, Restart


def content(n: int, **overrides: object) -> BriefContent:
    """Return a small valid brief numbered n, published n hours after a fixed start."""
    fields: dict[str, object] = {
        "title": f"Brief number {n}",
        "what_happened": f"Event {n} happened in the harbour district.",
        "impact": f"Impact {n}.",
        "body": f"Paragraph one of brief {n}.\n\nParagraph two of brief {n}.",
        "published_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n),
    }
    fields.update(overrides)
    return BriefContent.model_validate(fields)


async def add(env, *briefs: BriefContent) -> list[Brief]:
    bot: BriefBot = env.bot
    return [await bot.storage.briefs.add(b) for b in briefs]


async def test_latest_on_empty_library_is_a_friendly_ephemeral(newsroom):
    result = await newsroom.alice.slash(newsroom.channel, "brief latest")
    assert result.ephemeral
    assert "no briefs yet" in result.response.content.lower()
    assert not newsroom.env.errors  # an empty library is an answer, not a failure


async def test_latest_posts_summary_embed_with_more_button(newsroom):
    text = (EXAMPLES / "comet-weekend.txt").read_text(encoding="utf-8")
    (stored,) = await add(newsroom.env, parse_brief(text))

    result = await newsroom.alice.slash(newsroom.channel, "brief latest")

    assert not result.ephemeral
    (embed,) = result.response.embeds
    assert embed.title == "A bright comet returns this weekend"
    assert embed.description == stored.what_happened
    names = [field.name for field in embed.fields]
    assert len(names) == 4
    assert any("Key quote".lower() in name.lower() for name in names)
    assert f"#{stored.id}" in (embed.footer.text or "")
    buttons = [c for row in result.response.components for c in row["components"]]
    assert [b["custom_id"] for b in buttons if b.get("custom_id")] == [f"brief:more:{stored.id}"]


async def test_latest_count_posts_one_message_per_brief_newest_first(newsroom):
    await add(newsroom.env, *(content(n) for n in range(1, 8)))

    result = await newsroom.alice.slash(newsroom.channel, "brief latest", count=3)

    messages = [result.response, *result.followups]
    titles = [m.embeds[0].title for m in messages]
    assert titles == ["Brief number 7", "Brief number 6", "Brief number 5"]


async def test_no_message_can_ping(newsroom):
    await add(newsroom.env, content(1, what_happened="@everyone look <@&123> and <@456> now."))

    await newsroom.alice.slash(newsroom.channel, "brief latest")

    sends = [
        r for r in newsroom.env.http_requests if r.method == "POST" and "interactions" in r.path
    ]
    assert sends
    for request in sends:
        data = request.json.get("data", request.json) if isinstance(request.json, dict) else {}
        assert data.get("allowed_mentions", {"parse": []}) == {"parse": []}
    assert newsroom.env.bot.allowed_mentions is not None
    assert newsroom.env.bot.allowed_mentions.to_dict() == {"parse": []}


async def test_more_button_shows_article_ephemerally(newsroom):
    await add(newsroom.env, content(1))
    post = await newsroom.alice.slash(newsroom.channel, "brief latest")

    bob = newsroom.env.guild.add_member(newsroom.env.create_user("bob"))
    shown = await bob.click(post.response.message, label="More")

    assert shown.ephemeral
    (embed,) = shown.response.embeds
    assert "Paragraph one of brief 1." in embed.description
    assert "Paragraph two of brief 1." in embed.description


async def test_long_article_is_paged_with_prev_next(newsroom):
    paragraphs = [f"Paragraph {i}. " + "Words keep coming here. " * 60 for i in range(30)]
    await add(newsroom.env, content(1, body="\n\n".join(paragraphs)))
    post = await newsroom.alice.slash(newsroom.channel, "brief latest")

    shown = await newsroom.alice.click(post.response.message, label="More")
    first = shown.response.embeds[0]
    assert "page 1/" in first.footer.text
    total = int(first.footer.text.rsplit("/", 1)[1])
    assert total > 1

    nxt = await newsroom.alice.click(shown.response.message, label="Next ▶")
    assert f"page 2/{total}" in nxt.response.embeds[0].footer.text
    assert "Paragraph" in nxt.response.embeds[0].description


async def test_more_button_survives_restart_and_reports_retracted(newsroom, restart: Restart):
    (kept, gone) = await add(newsroom.env, content(1), content(2))
    post_kept = await newsroom.alice.slash(newsroom.channel, "brief show", brief=str(kept.id))
    post_gone = await newsroom.alice.slash(newsroom.channel, "brief show", brief=str(gone.id))

    await restart()
    await newsroom.env.bot.storage.briefs.delete(gone.id, actor_id=None)

    shown = await newsroom.alice.click(post_kept.response.message, label="More")
    assert shown.ephemeral
    assert "Paragraph one of brief 1." in shown.response.embeds[0].description

    removed = await newsroom.alice.click(post_gone.response.message, label="More")
    assert removed.ephemeral
    assert "retracted" in removed.response.content


async def test_show_by_id_and_not_found(newsroom):
    (stored,) = await add(newsroom.env, content(1))

    found = await newsroom.alice.slash(newsroom.channel, "brief show", brief=f"#{stored.id}")
    assert found.response.embeds[0].title == "Brief number 1"

    missing = await newsroom.alice.slash(newsroom.channel, "brief show", brief="999")
    assert missing.ephemeral
    assert "couldn't find" in missing.response.content
    assert_error(newsroom.env, NotFoundError)


async def test_show_autocomplete_offers_titles_and_ids(newsroom):
    await add(
        newsroom.env,
        content(1, title="Harbor bike lanes approved"),
        content(2, title="Comet returns"),
    )

    choices = await newsroom.alice.autocomplete(newsroom.channel, "brief show", "brief", "harb")

    assert [c["name"] for c in choices] == ["#1 · Harbor bike lanes approved"]
    assert choices[0]["value"] == "1"
    assert len(await newsroom.alice.autocomplete(newsroom.channel, "brief show", "brief", "")) == 2


LONG_LEAD = (
    "A comet last seen from Earth about 6,000 years ago, when the first cities were being "
    "built along the great rivers of the world, will be bright enough to see this weekend."
)


async def test_a_long_derived_title_is_cut_at_a_word_in_suggestions_and_the_list(newsroom):
    await add(newsroom.env, parse_brief(f"❓WHAT HAPPENED: {LONG_LEAD} It fades next week."))

    (choice,) = await newsroom.alice.autocomplete(newsroom.channel, "brief show", "brief", "")
    name = choice["name"]
    assert len(name) <= 100
    assert name.endswith("…")
    assert LONG_LEAD.startswith(name.removeprefix("#1 · ").removesuffix("…"))
    assert LONG_LEAD[len(name.removeprefix("#1 · ")) - 1] == " "  # a whole word, then "…"

    listed = await newsroom.alice.slash(newsroom.channel, "brief list")
    (menu,) = [c for row in listed.response.components for c in row["components"] if c["type"] == 3]
    (option,) = menu["options"]
    assert option["label"] == name
    assert option["description"] == "It fades next week."  # not the first sentence again


async def test_search_ranks_and_opens_a_result(newsroom):
    await add(
        newsroom.env,
        content(1, title="Council budget", body="The comet was mentioned once."),
        content(2, title="Comet returns this weekend"),
    )

    result = await newsroom.alice.slash(newsroom.channel, "brief search", query="comet")

    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.description.index("Comet returns") < embed.description.index("Council budget")
    opened = await newsroom.alice.select(result.response.message, ["2"], custom_id="brief:open")
    assert opened.ephemeral
    assert opened.response.embeds[0].title == "Comet returns this weekend"


@pytest.mark.parametrize(
    "query", ['"unbalanced', "comet AND (", "NOT", "*", "-comet", "a:b", "NEAR(x y", "💥 ) ("]
)
async def test_search_accepts_any_input(newsroom, query: str):
    await add(newsroom.env, content(1, title="Comet returns"))

    result = await newsroom.alice.slash(newsroom.channel, "brief search", query=query)

    assert result.acknowledged
    assert result.response is not None
    if not result.response.embeds:  # nothing to search for, or nothing matches: said in words
        assert result.ephemeral
        assert result.response.content


async def test_search_without_matches_says_so(newsroom):
    await add(newsroom.env, content(1))
    result = await newsroom.alice.slash(newsroom.channel, "brief search", query="zebra")
    assert result.ephemeral
    assert "No briefs match" in result.response.content
    assert not newsroom.env.errors  # no match is an answer, not a failure


async def test_search_pages_survive_restart(newsroom, restart: Restart):
    await add(newsroom.env, *(content(n, title=f"Harbor story {n}") for n in range(1, 13)))
    result = await newsroom.alice.slash(newsroom.channel, "brief search", query="harbor")
    assert "1/3" in result.response.embeds[0].footer.text

    await restart()
    page2 = await newsroom.alice.click(result.response.message, label="Next ▶")
    assert "2/3" in page2.response.embeds[0].footer.text


async def test_list_pages_newest_first(newsroom):
    await add(newsroom.env, *(content(n) for n in range(1, 24)))

    first = await newsroom.alice.slash(newsroom.channel, "brief list")
    assert first.ephemeral
    assert "Brief number 23" in first.response.embeds[0].description
    assert "1/3" in first.response.embeds[0].footer.text

    second = await newsroom.alice.click(first.response.message, label="Next ▶")
    assert "Brief number 13" in second.response.embeds[0].description
    assert "2/3" in second.response.embeds[0].footer.text


async def test_search_with_more_matches_than_counted_says_so(newsroom):
    await newsroom.env.bot.storage.briefs.add_many(
        [content(n, title=f"Harbor story {n}") for n in range(1, SEARCH_COUNT_CAP + 2)]
    )

    result = await newsroom.alice.slash(newsroom.channel, "brief search", query="harbor")

    footer = result.response.embeds[0].footer.text
    assert footer == f"Page 1/{SEARCH_COUNT_CAP // 5} · {SEARCH_COUNT_CAP}+ results"


async def test_search_with_nothing_searchable_asks_for_words(newsroom):
    await add(newsroom.env, content(1))

    result = await newsroom.alice.slash(newsroom.channel, "brief search", query='"*" ( - ^ :')

    assert result.ephemeral
    assert result.response.content.startswith("Type a word or two")


@pytest.mark.parametrize(
    ("column", "link"),
    [
        ("source_url", "https://example.com/" + "a" * 600),
        ("source_url", "https://example.com/" + "a" * 3000),
        ("source_url", "https://example.com/a story"),
        ("image_url", "https://example.com/" + "a" * 3000),
    ],
)
async def test_a_stored_link_discord_refuses_is_left_out_never_the_brief(newsroom, column, link):
    (stored,) = await add(newsroom.env, content(1, source_url="https://example.com/ok"))
    async with (
        newsroom.env.bot.storage.db.transaction() as conn
    ):  # stored before the link rule existed
        await conn.execute(f"UPDATE briefs SET {column} = ? WHERE id = ?", link, stored.id)

    for result in (
        await newsroom.alice.slash(newsroom.channel, "brief latest"),
        await newsroom.alice.slash(newsroom.channel, "brief show", brief=str(stored.id)),
    ):
        assert not result.ephemeral
        (embed,) = result.response.embeds
        assert embed.title == "Brief number 1"
        links = [c.get("url") for row in result.response.components for c in row["components"]]
        assert link not in links
        assert len(embed.url or "") <= 2048
        assert link != (embed.image.url if embed.image else None)
