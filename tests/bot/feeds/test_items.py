"""An item's key and the brief it makes, whatever format it came in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feeds._items import (
    HASH_PREFIX,
    ItemSkipped,
    RawItem,
    feed_item,
    item_key,
    merge_topics,
    normalise_link,
)
from bot.feeds._model import EXTERNAL_ID_CHARS
from storage.topics import MAX_TOPICS

LIMIT = 100_000


item = RawItem


# --- identity -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "https://news.example/a/story?id=7",
        "HTTPS://News.Example/a/story?id=7",
        "https://news.example:443/a/story?id=7",
        "https://news.example/a/story?id=7#comments",
        "https://news.example/a/story?utm_source=rss&id=7&utm_medium=feed",
        "https://news.example/a/story?id=7&fbclid=x&gclid=y&dclid=z&msclkid=m&mc_cid=c&mc_eid=e",
        "https://news.example/a/story?igshid=i&_hsenc=h&_hsmi=s&id=7&ref_src=twsrc&yclid=y",
        "https://news.example/a/story?UTM_Campaign=Dec&id=7",
        "  https://news.example/a/story?id=7\n",
    ],
)
def test_links_normalise_to_one_key(link: str) -> None:
    assert normalise_link(link) == "https://news.example/a/story?id=7"


def test_normalising_keeps_what_names_the_page() -> None:
    assert normalise_link("http://a.example:8080/") == "http://a.example:8080/"
    assert normalise_link("http://a.example:80") == "http://a.example/"
    assert normalise_link("https://a.example/Path/Case?Q=1&utm=kept") == (
        "https://a.example/Path/Case?Q=1&utm=kept"
    )
    assert normalise_link("https://[2001:DB8::1]:443/x") == "https://[2001:db8::1]/x"
    assert normalise_link("urn:uuid:1234") == "urn:uuid:1234"
    assert normalise_link("not a link") == "not a link"


def test_the_id_wins_over_the_link_and_dates_never_count() -> None:
    early = item(id="guid-1", link="https://a.example/1", title="T", published=datetime(2026, 1, 1))
    later = item(id="guid-1", link="https://a.example/2", title="T", published=datetime(2026, 2, 1))
    assert feed_item(early, max_chars=LIMIT).key == feed_item(later, max_chars=LIMIT).key
    assert feed_item(early, max_chars=LIMIT).key == "guid-1"


def test_a_link_shaped_id_loses_its_tracking_too() -> None:
    assert item_key("https://a.example/1?utm_source=x", None, {}) == "https://a.example/1"
    assert item_key("  guid-1 \n", None, {}) == "guid-1"


def test_without_id_or_link_the_key_hashes_the_content() -> None:
    one = feed_item(
        item(title="T", summary="Text.", published=datetime(2026, 1, 1)), max_chars=LIMIT
    )
    two = feed_item(
        item(title="T", summary="Text.", published=datetime(2027, 1, 1)), max_chars=LIMIT
    )
    other = feed_item(item(title="T", summary="Other."), max_chars=LIMIT)
    assert one.key == two.key != other.key
    assert one.key.startswith(HASH_PREFIX)


def test_a_key_too_long_is_hashed() -> None:
    key = item_key("x" * (EXTERNAL_ID_CHARS + 1), None, {})
    assert key.startswith(HASH_PREFIX)
    assert len(key) <= EXTERNAL_ID_CHARS
    assert item_key("x" * EXTERNAL_ID_CHARS, None, {}) == "x" * EXTERNAL_ID_CHARS


def test_a_blank_id_falls_back_to_the_link() -> None:
    assert item_key("  ", "https://a.example/1#top", {}) == "https://a.example/1"


# --- mapping --------------------------------------------------------------------------------


def test_plain_item_maps_title_summary_content_and_links() -> None:
    published = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    feed = feed_item(
        item(
            id="a",
            link="https://a.example/story",
            title="  Ferry \n runs ",
            summary="The ferry runs.\n\nMore text.",
            content="Full article.\n\nSecond paragraph.",
            categories=["Transport"],
            images=["ftp://a.example/x.jpg", "https://a.example/x.jpg"],
            published=published,
        ),
        topics=["Harbour"],
        max_chars=LIMIT,
    )
    brief = feed.content
    assert brief.title == "Ferry runs"
    assert brief.what_happened == "The ferry runs."
    assert brief.body == "Full article.\n\nSecond paragraph."
    assert brief.source_url == "https://a.example/story"
    assert brief.image_url == "https://a.example/x.jpg"
    assert brief.topics == ["Transport", "Harbour"]
    assert brief.published_at == published


def test_without_content_the_article_is_the_summary_rest() -> None:
    brief = feed_item(
        item(title="T", summary="First.\n\nSecond.\n\nThird."), max_chars=LIMIT
    ).content
    assert (brief.what_happened, brief.body) == ("First.", "Second.\n\nThird.")


def test_without_summary_what_happened_is_the_content_opening() -> None:
    brief = feed_item(item(title="T", content="Opening.\n\nRest."), max_chars=LIMIT).content
    assert (brief.what_happened, brief.body) == ("Opening.", "Rest.")


def test_an_opening_repeated_in_the_article_shows_once() -> None:
    brief = feed_item(
        item(title="T", summary="Opening.", content="Caption\n\nOpening.\n\nRest."),
        max_chars=LIMIT,
    ).content
    assert brief.body == "Caption\n\nRest."


def test_without_title_the_first_sentence_is_the_title() -> None:
    brief = feed_item(item(summary="The pier opened. Crowds came."), max_chars=LIMIT).content
    assert brief.title == "The pier opened."


def test_title_only_item_is_its_own_summary() -> None:
    brief = feed_item(item(title="Pier opens"), max_chars=LIMIT).content
    assert (brief.title, brief.what_happened) == ("Pier opens", "Pier opens")


def test_item_with_nothing_is_skipped() -> None:
    with pytest.raises(ItemSkipped, match="no title and no text"):
        feed_item(item(id="x", published=datetime(2026, 1, 1)), max_chars=LIMIT)


def test_control_characters_are_dropped_and_markdown_kept() -> None:
    brief = feed_item(
        item(title="A\x00B\x1b", summary="**Bold** @everyone\x07 <@123>\u0085"), max_chars=LIMIT
    ).content
    assert brief.title == "AB"
    assert brief.what_happened == "**Bold** @everyone <@123>"


def test_links_a_brief_cannot_show_are_dropped_not_fatal() -> None:
    brief = feed_item(
        item(
            title="T",
            link="javascript:alert(1)",
            images=["https://a.example/" + "x" * 3000 + ".jpg", "data:image/png;base64,AAAA"],
        ),
        max_chars=LIMIT,
    ).content
    assert brief.source_url is None
    assert brief.image_url is None


def test_a_long_source_link_is_dropped() -> None:
    long = "https://a.example/" + "x" * 600
    brief = feed_item(item(title="T", link=long), max_chars=LIMIT).content
    assert brief.source_url is None


def test_text_is_cut_to_the_brief_limit() -> None:
    words = "word " * 50_000
    brief = feed_item(item(title="T", summary="Opening.", content=words), max_chars=1_000).content
    total = len(brief.title) + len(brief.what_happened) + len(brief.body)
    assert total <= 1_000
    assert brief.body.endswith("…")


def test_sections_given_outright() -> None:
    brief = feed_item(
        item(
            title="Feed title",
            content="Article.",
            categories=["roads"],
            sections={"what_happened": "Bridge closes.", "impact": "Detour.", "title": None},
            section_topics=["Transport"],
        ),
        max_chars=LIMIT,
    ).content
    assert brief.title == "Feed title"
    assert (brief.what_happened, brief.impact, brief.body) == (
        "Bridge closes.",
        "Detour.",
        "Article.",
    )
    assert brief.topics == ["Transport", "roads"]


def test_a_brief_in_the_text_format_is_read_by_the_brief_parser() -> None:
    text = (
        "🏷️TOPICS: transport\n❓WHAT HAPPENED: The ferry runs more often.\n"
        "🎯IMPACT: Shorter waits.\n---\nAgreed on Friday."
    )
    brief = feed_item(
        item(title="Ferry", link="https://a.example/f", content=text, categories=["Local"]),
        topics=["Harbour"],
        max_chars=LIMIT,
    ).content
    assert brief.title == "Ferry"
    assert (brief.what_happened, brief.impact, brief.body) == (
        "The ferry runs more often.",
        "Shorter waits.",
        "Agreed on Friday.",
    )
    assert brief.source_url == "https://a.example/f"
    assert brief.topics == ["transport", "Local", "Harbour"]


def test_a_brief_with_control_characters_is_still_a_brief() -> None:
    text = "❓WHAT HAPPENED: Something\x00 happened.\x1b\r\n🎯IMPACT: Some.\r\n---\r\nBody."
    brief = feed_item(item(title="T", content=text), max_chars=LIMIT).content
    assert (brief.what_happened, brief.impact, brief.body) == (
        "Something happened.",
        "Some.",
        "Body.",
    )


def test_a_brief_with_its_own_title_keeps_it() -> None:
    text = "# Own title\n❓WHAT HAPPENED: Something.\n---\nBody."
    brief = feed_item(item(title="Feed title", content=text), max_chars=LIMIT).content
    assert brief.title == "Own title"


def test_text_that_only_mentions_the_label_is_an_article() -> None:
    text = "Nobody knows what happened next.\n\nThe end."
    brief = feed_item(item(title="T", content=text), max_chars=LIMIT).content
    assert brief.what_happened == "Nobody knows what happened next."


def test_topics_merge_within_the_model_limits() -> None:
    many = [f"topic {n}" for n in range(30)]
    merged = merge_topics(["Own"], [*many, "own", "x" * 41, "a, b"], fixed=["Harbour", "harbour"])
    assert len(merged) == MAX_TOPICS
    assert merged[0] == "Own"
    assert merged[-1] == "Harbour"
    assert "own" not in merged
    assert merge_topics([], ["a, b", "c; " + "y" * 41]) == ["a", "b"]
