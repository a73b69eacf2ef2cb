"""Reading fetched feeds: RSS, Atom and JSON Feed, hostile ones in bounded time and memory."""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds._model import FeedParseError, ParsedFeed
from bot.feeds._parse import MAX_ITEMS, parse_feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
RSS = {"content-type": "application/rss+xml; charset=utf-8"}
ATOM = {"content-type": "application/atom+xml"}
JSON = {"content-type": "application/feed+json"}
URL = "https://feeds.example/feed"


def parse(name: str, headers: dict[str, str] | None = None, **options: object) -> ParsedFeed:
    body = (FIXTURES / name).read_bytes()
    given = headers if headers is not None else (JSON if name.endswith(".json") else RSS)
    return parse_feed(body, given, url=URL, **options)  # type: ignore[arg-type]


def rss(items: str, *, channel: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Gen</title>{channel}{items}</channel></rss>"
    ).encode()


# --- RSS ----------------------------------------------------------------------------------


def test_rss_with_content_encoded() -> None:
    feed = parse("rss_content.xml", topics=["Harbour"])
    assert (feed.kind, feed.title, feed.ttl, feed.skipped) == ("rss", "Harbour Gazette", 1800, [])
    first, second = feed.items
    assert first.key == "gazette-1001"
    brief = first.content
    assert brief.title == "Ferry to run every ten minutes"
    assert brief.what_happened == "The harbour ferry will run every ten minutes from Monday."
    assert brief.body == (
        "The new timetable was agreed on Friday & starts Monday.\n\n"
        "- Peak: every 10 minutes\n- Evening: every 20 minutes\n\n"
        "Read the minutes (https://council.example/minutes)."
    )
    assert brief.source_url == "https://gazette.example/news/ferry?utm_source=rss&utm_medium=feed"
    assert brief.image_url == "https://gazette.example/img/ferry.jpg"
    assert brief.topics == ["Transport", "Local News", "Harbour"]
    assert brief.published_at == datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
    assert second.key == "https://gazette.example/news/market"
    assert second.content.image_url == "https://gazette.example/img/market.png"
    assert second.content.body == ""


def test_ttl_minutes_become_seconds() -> None:
    assert parse_feed(rss("", channel="<ttl>5</ttl>"), RSS, url=URL).ttl == 300
    assert parse_feed(rss("", channel="<ttl>soon</ttl>"), RSS, url=URL).ttl is None
    assert parse_feed(rss("", channel="<ttl>0</ttl>"), RSS, url=URL).ttl is None
    assert parse_feed(rss(""), RSS, url=URL).ttl is None


def test_an_empty_feed_has_no_items() -> None:
    feed = parse_feed(rss(""), RSS, url=URL)
    assert (feed.items, feed.skipped) == ([], [])


def test_relative_links_resolve_against_the_feed_but_guids_stay() -> None:
    body = rss("<item><title>T</title><guid>1234</guid><link>/story</link></item>")
    (item,) = parse_feed(body, RSS, url=URL).items
    assert item.key == "1234"
    assert item.content.source_url == "https://feeds.example/story"
    moved = parse_feed(body, {**RSS, "content-location": "https://new.example/f"}, url=URL)
    assert moved.items[0].key == "1234"
    assert moved.items[0].content.source_url == "https://new.example/story"


def test_a_guid_that_is_no_address_is_no_source_link() -> None:
    (item,) = parse_feed(rss("<item><title>T</title><guid>1234</guid></item>"), RSS, url=URL).items
    assert item.content.source_url is None


# --- Atom ---------------------------------------------------------------------------------


def test_atom() -> None:
    feed = parse("atom.xml", ATOM)
    assert (feed.kind, feed.title) == ("atom", "Notes from the Lighthouse")
    lamp, note = feed.items
    assert lamp.key == "tag:blog.example,2026:lamp"
    assert lamp.content.title == "Lamp restored"
    assert lamp.content.what_happened == "The old lamp shines again."
    assert lamp.content.body == (
        "After a year of work the lamp is back.\n\nSee photos (https://blog.example/photos)."
    )
    assert lamp.content.source_url == "https://blog.example/posts/lamp"
    assert lamp.content.topics == ["heritage"]
    assert note.content.what_happened == "A short note."
    # published, not updated
    assert note.content.published_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_bumped_dates_keep_the_key() -> None:
    before, after = parse("bumped_v1.xml", ATOM), parse("bumped_v2.xml", ATOM)
    assert [item.key for item in before.items] == [item.key for item in after.items]
    assert before.items[0].content.published_at != after.items[0].content.published_at


def test_changed_tracking_without_guid_keeps_the_key() -> None:
    before, after = parse("no_guid_v1.xml"), parse("no_guid_v2.xml")
    assert [item.key for item in before.items] == [item.key for item in after.items]
    assert before.items[0].key == "https://pier.example/news/pier-opens"
    assert before.items[1].key.startswith("sha256:")


# --- JSON Feed ----------------------------------------------------------------------------


def test_json_feed() -> None:
    feed = parse("json_feed.json")
    assert (feed.kind, feed.title, feed.skipped) == ("json", "Tide Tables", [])
    tide, neap = feed.items
    assert tide.key == "tide-42"
    assert tide.content.what_happened == "The highest tide of the year comes on Saturday."
    assert tide.content.body == "Water will reach 5.2 m.\n\nCar parks by the quay close."
    assert tide.content.image_url == "https://tides.example/img/42.jpg"
    assert tide.content.topics == ["weather", "harbour"]
    assert tide.content.published_at == datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    assert neap.key == "43"
    assert neap.content.title == "Neap tides next week."
    assert neap.content.source_url == "https://feeds.example/43"
    assert neap.content.published_at == datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


def test_json_feed_extension_briefbot() -> None:
    feed = parse("json_briefbot.json", topics=["City"])
    (desk,) = feed.items
    brief = desk.content
    assert brief.title == "Bridge closes for repairs"
    assert brief.what_happened == "The old bridge closes for repairs on Monday."
    assert brief.who_was_involved == "The city's roads department."
    assert brief.when_and_where == "Monday, the old bridge."
    assert brief.key_quote == "“It will be worth the wait.”"
    assert brief.impact == "A detour adds ten minutes."
    assert brief.body == "The bridge was built in 1902.\n\nIt was last repaired in 1980."
    assert brief.topics == ["Transport", "roads", "City"]
    assert feed.skipped == ["item 2 (desk-8): _briefbot.what_happened: Field required"]


def test_json_detected_by_its_body_whatever_the_content_type() -> None:
    body = (FIXTURES / "json_feed.json").read_bytes()
    assert parse_feed(body, {"content-type": "text/plain"}, url=URL).kind == "json"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"version": "1.1", "items": []}', "not a JSON Feed"),
        (b'{"items": [', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', '"items"'),
    ],
)
def test_json_that_is_no_json_feed(body: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError, match=reason):
        parse_feed(body, JSON, url=URL)


def test_a_json_item_the_model_refuses_is_skipped() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": ["not an object", {"id": "ok", "title": "Fine"}, {"id": "bad", "tags": "x"}],
    }
    parsed = parse_feed(json.dumps(feed).encode(), JSON, url=URL)
    assert [item.key for item in parsed.items] == ["ok"]
    assert parsed.skipped[0].startswith("item 1: ")
    assert parsed.skipped[1].startswith("item 3 (bad): tags")


# --- briefs in the text format ------------------------------------------------------------


def test_items_carrying_a_whole_brief() -> None:
    plain, html = parse("brief_item.xml").items
    assert plain.content.title == "Ferry timetable changes"
    assert plain.content.what_happened == (
        "The harbour ferry will run every ten minutes from Monday."
    )
    assert plain.content.who_was_involved == "The harbour board."
    assert plain.content.impact == "Waiting times at rush hour should halve."
    assert plain.content.body == "The new timetable was agreed on Friday."
    assert plain.content.topics == ["transport", "Local News"]
    assert plain.content.source_url == "https://briefs.example/ferry"
    assert html.content.title == "Council approves budget"
    assert html.content.impact == "Taxes stay the same."
    assert html.content.body == "The vote was 7 to 2."


# --- broken and hostile feeds -------------------------------------------------------------


def test_broken_encoding_is_read() -> None:
    (item,) = parse("latin1_declared_utf8.xml").items
    assert item.content.title == "Crème brûlée week"
    assert item.content.what_happened == "Cafés serve crème brûlée."


def test_bad_xml_with_items_is_read_leniently() -> None:
    (item,) = parse("bad.xml").items
    assert item.key == "bad-1"
    assert item.content.what_happened == "Text with an HTML entity"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        ((FIXTURES / "not_xml.txt").read_bytes(), "not readable XML"),
        (b"<?xml version='1.0'?><rss><channel><title>x</title", "not readable XML"),
        (b"<!DOCTYPE html><html><body><p>Hello</p></body></html>", "web page"),
        (b"<?xml version='1.0'?><note><to>Tove</to></note>", "not an RSS, Atom or JSON feed"),
    ],
)
def test_unreadable_bodies_are_errors(body: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError, match=reason):
        parse_feed(body, RSS, url=URL)


def test_billion_laughs_is_harmless() -> None:
    started = time.perf_counter()
    tracemalloc.start()
    try:
        feed = parse("billion_laughs.xml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2
    assert peak < 20_000_000
    (item,) = feed.items
    assert len(item.content.title) < 100


def test_quadratic_blowup_is_harmless() -> None:
    """One 100 kB entity used 20,000 times: 2 GB once expanded (feedparser's loose parser
    expands declared entities itself); a body in UTF-16 or UTF-7 hides nothing."""
    entity = "a" * 100_000
    text = (
        '<?xml version="1.0" encoding="utf-16"?>\n'
        f'<!DOCTYPE rss [\n<!ENTITY big "{entity}">\n]>\n'
        '<rss version="2.0"><channel><title>x</title><item><title>t</title><guid>q</guid>'
        f"<description>{'&big;' * 20_000}</description></item></channel></rss>"
    )
    xml = {"content-type": "application/xml"}
    for body, headers in (
        (text.replace("utf-16", "utf-8").encode(), xml),
        (text.encode("utf-16"), xml),
        (
            text.replace("utf-16", "utf-7").encode("utf-7"),
            {"content-type": "text/xml; charset=utf-7"},
        ),
    ):
        started = time.perf_counter()
        tracemalloc.start()
        try:
            feed = parse_feed(body, headers, url=URL)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert time.perf_counter() - started < 5
        assert peak < 100_000_000
        assert all(len(item.content.what_happened) <= 200_000 for item in feed.items)


def test_ten_thousand_items_stop_at_max_items() -> None:
    items = "".join(
        f"<item><title>Item {n}</title><guid>g{n}</guid><description>Text {n}.</description></item>"
        for n in range(10_000)
    )
    started = time.perf_counter()
    feed = parse_feed(rss(items), RSS, url=URL)
    assert time.perf_counter() - started < 20
    assert len(feed.items) == MAX_ITEMS
    assert feed.items[0].key == "g0"
    assert feed.items[-1].key == f"g{MAX_ITEMS - 1}"
    assert feed.skipped == ["9,500 items after the first 500 left out (the feed has 10,000)"]


def test_max_items_is_the_callers() -> None:
    items = "".join(f"<item><title>{n}</title><guid>{n}</guid></item>" for n in range(5))
    feed = parse_feed(rss(items), RSS, url=URL, max_items=2)
    assert [item.key for item in feed.items] == ["0", "1"]
    assert feed.skipped == ["3 items after the first 2 left out (the feed has 5)"]


def test_a_one_megabyte_item_costs_bounded_time() -> None:
    paragraph = "<p>" + "word " * 200 + '<a href="https://x.example/a">link</a> <b>b</b></p>\n'
    content = paragraph * (1_000_000 // len(paragraph))
    body = rss(
        "<item><title>Big</title><guid>big</guid><description>Short.</description>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item>"
    )
    started = time.perf_counter()
    (item,) = parse_feed(body, RSS, url=URL, max_chars=100_000).items
    assert time.perf_counter() - started < 3
    brief = item.content
    assert len(brief.title) + len(brief.what_happened) + len(brief.body) <= 100_000
    assert brief.body.endswith("…")


def test_a_deeply_nested_item_costs_bounded_time() -> None:
    body = rss(
        "<item><title>Deep</title><guid>deep</guid>"
        f"<content:encoded><![CDATA[{'<div>' * 200_000}deep]]></content:encoded></item>"
    )
    started = time.perf_counter()
    parse_feed(body, RSS, url=URL)
    assert time.perf_counter() - started < 3


def test_repeated_keys_keep_the_first_item() -> None:
    items = "<item><title>One</title><guid>same</guid></item>" * 2
    feed = parse_feed(rss(items), RSS, url=URL)
    assert [item.content.title for item in feed.items] == ["One"]
    assert feed.skipped == ["item 2 (same): the same item as item 1"]


def test_an_item_the_brief_model_refuses_is_skipped_not_fatal() -> None:
    items = "<item><guid>empty</guid></item><item><title>Fine</title><guid>ok</guid></item>"
    feed = parse_feed(rss(items), RSS, url=URL)
    assert [item.key for item in feed.items] == ["ok"]
    assert feed.skipped == ["item 1: no title and no text"]


def test_a_file_name_as_body_is_never_opened() -> None:
    """feedparser opens a path or a URL it is handed as a string: it only ever gets bytes."""
    for body in (str(FIXTURES / "rss_content.xml").encode(), b"https://feeds.example/feed"):
        with pytest.raises(FeedParseError):
            parse_feed(body, RSS, url=URL)


# --- real-world feeds ---------------------------------------------------------------------


REAL = sorted((FIXTURES / "real").iterdir())


@pytest.mark.parametrize("path", REAL, ids=[path.name for path in REAL])
def test_real_world_feeds_map_every_item(path: Path) -> None:
    kind = "application/feed+json" if path.suffix == ".json" else "application/xml"
    feed = parse_feed(path.read_bytes(), {"content-type": kind}, url=URL, topics=["Local"])
    assert feed.items
    assert feed.skipped == []
    for item in feed.items:
        assert item.key
        assert item.content.title
        assert "Local" in item.content.topics
    assert len(REAL) >= 3


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="\xbe\xaa"?><rss version="2.0"><channel><title>x</title>'
        b"<item><title>T</title><guid>1</guid></item></channel></rss>",
        b'<?xml version="1.0" encoding="utf\x00"?><rss version="2.0"><channel><title>x</title>'
        b"<item><title>T</title><guid>1</guid></item></channel></rss>",
        b'<rss version="2.0"><channel><title>x &#xD800; &bad</title><item><title>T &#55296;'
        b"</title><guid>1</guid></item></channel></rss>",
        b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://[::1"><entry><id>1</id>'
        b'<title type="html">&lt;a href="x"&gt;T&lt;/a&gt;</title></entry></feed>',
    ],
    ids=["encoding-not-text", "encoding-with-nul", "surrogate-references", "bad-base"],
)
def test_bodies_found_by_fuzzing_end_in_items_or_a_clear_error(body: bytes) -> None:
    """feedparser raises on some of these itself: each ends in items or in FeedParseError."""
    result = outcome(body)
    if isinstance(result, FeedParseError):
        assert "not readable" in str(result)
    else:
        assert all(item.content.title for item in result.items)


def outcome(body: bytes) -> ParsedFeed | FeedParseError:
    try:
        return parse_feed(body, RSS, url=URL)
    except FeedParseError as error:
        return error
