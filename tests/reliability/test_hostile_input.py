"""Hostile input: odd characters, huge text and forged buttons get clean answers, change nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import simcord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simcord.results import to_discord_message

from bot.app import STALE_COMPONENT, BriefBot
from bot.brief.files import load_briefs, read_file
from bot.brief.parsing import BriefParseError, format_brief, parse_brief
from bot.cogs.briefs._lookup import REMOVED
from bot.config import Settings
from bot.ui.replies import GENERIC_FAILURE
from storage.briefs import Briefs
from storage.models import BriefContent
from storage.sqlite.backend import SqliteDatabase
from tests.reliability.support import connect, integrity_problems

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Characters that break naive text handling: controls, NUL, zero-width, bidi, odd spaces.
HOSTILE_CHARS = [
    "\x00", "\x07", "\x1b", "\x7f", "\t", "\v", "\f", "\u0085", "\u2028", "\u2029",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad",
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202d", "\u202e", "\u202c", "\u2066", "\u2069",
    "\u061c", "\u0301", "\u0336", "\u3000", "\u00a0", "\ufffd", "\U0001f3af", "\ufe0f",
    '"', "'", "*", "^", ":", "(", ")", "-", "+", "#", "`", "\\", "@", "<", ">", "|", "~",
]  # fmt: skip
hostile_text = st.text(
    alphabet=st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters(codec="utf-8")),
    max_size=80,
)

#: Search box input a member could type (Discord allows up to 200 characters here).
NASTY_QUERIES = [
    "\u200b\u200c\u200d\ufeff",
    "comet\u200bharbour",
    "\u202ecomet\u202c",
    "\u200f\u061cمرحبا comet",
    "\x00",
    "comet\x00harbour",
    "\x07\x1b[31mcomet\x1b[0m",
    '" OR * NEAR( title: ^ - comet',
    "comet" + "\u0301" * 150,
    "🎯" * 100,
    "a" * 200,
    "@everyone <@1> comet",
]
#: Of those, the ones whose only searchable words are "comet" (and "harbour").
FINDS_COMET = ["comet\u200bharbour", "\u202ecomet\u202c", "comet\x00harbour"]
TOO_LONG = ["x" * 201, "comet " * 20_000]


def brief(n: int) -> BriefContent:
    return BriefContent(
        title=f"Comet over the harbour {n}",
        what_happened=f"Comet {n} was seen over the harbour.",
        body="The tail stretched across the sky.",
    )


@pytest_asyncio.fixture
async def library(tmp_path: Path) -> AsyncIterator[Briefs]:
    """A real database with a few briefs, one of them deleted."""
    db = await SqliteDatabase.open(tmp_path / "briefs.db")
    briefs = Briefs(db)
    for n in range(5):
        await briefs.add(brief(n))
    await briefs.delete(3, actor_id=None)
    yield briefs
    await db.close()


# --- the parser ----------------------------------------------------------------------------


@st.composite
def hostile_briefs(draw: st.DrawFn) -> str:
    """A brief-shaped text whose title, sections and article are full of hostile characters."""
    title, what, impact, body = (draw(hostile_text) for _ in range(4))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [f"# {title}", f"❓WHAT HAPPENED: comet {what}", f"🎯IMPACT: {impact}", "---", body]
    return ending.join(lines)


@FUZZ
@given(text=hostile_briefs())
async def test_hostile_brief_text_is_stored_faithfully_or_refused(
    library: Briefs, text: str
) -> None:
    try:
        content = parse_brief(text)
    except BriefParseError:
        return  # refused with our own error: a clean outcome
    assert "\x00" not in content.model_dump_json()
    stored = await library.add(content)
    assert (await library.get(stored.id)) == stored
    assert parse_brief(format_brief(stored)) == parse_brief(format_brief(content))
    assert stored.id in {hit.brief_id for hit in await library.search("comet", limit=100)}


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\xe2\x9d\x93WHAT HAPPENED: " + b"x" * 100_001, "one-long-line.txt"),
        (b"\xe2\x9d\x93WHAT HAPPENED: ok\n---\n" + b"y" * 5_000_000, "huge-article.md"),
        (json.dumps({"what_happened": "ok", "body": "z" * 100_001}).encode(), "big.json"),
        (b"[" * 100_000 + b"]" * 100_000, "deep.json"),
        (b"[" * 100_000 + b"]" * 100_000, "deep.txt"),
        (b"\xe2\x9d\x93WHAT HAPPENED: a\x00b", "nul.txt"),
        (b"\xe2\x9d\x93WHAT HAPPENED: \xff\xfe broken", "latin1.txt"),
        (json.dumps({"title": "Lone \ud800", "what_happened": "ok"}).encode(), "surrogate.json"),
        (b"\x00" * 1000, "zeros.json"),
        (b"", "empty.txt"),
    ],
)
def test_oversized_or_malformed_files_are_refused_with_a_parse_error(
    data: bytes, name: str
) -> None:
    with pytest.raises(BriefParseError) as refused:
        load_briefs(data, name)
    assert len(str(refused.value)) < 500


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"\xe2\x9d\x93WHAT HAPPENED: " + b"x" * 300_000)
    with pytest.raises(BriefParseError, match="the limit is 256,000"):
        read_file(path, strip_patterns=(), max_chars=100_000, max_bytes=256_000)


# --- search --------------------------------------------------------------------------------


@FUZZ
@given(query=st.one_of(hostile_text, st.sampled_from([*NASTY_QUERIES, *TOO_LONG])))
async def test_repository_search_answers_any_query(library: Briefs, query: str) -> None:
    hits = await library.search(query, limit=10)
    assert await library.search_count(query) >= len(hits)
    assert all(hit.brief_id != 3 for hit in hits)  # the deleted brief stays hidden
    suggestions = await library.suggest(query)
    assert all(brief_id != 3 for brief_id, _ in suggestions)
    await library.find_duplicate(query, query)


def assert_clean_answer(result: simcord.InteractionResult) -> None:
    """Answered (not "interaction failed"), privately, and not with our generic failure."""
    assert result.acknowledged
    assert result.ephemeral
    assert result.response is not None
    assert GENERIC_FAILURE not in result.response.content


@pytest.mark.parametrize("query", NASTY_QUERIES)
async def test_search_box_answers_nasty_queries_cleanly(newsroom, query: str) -> None:
    for n in range(3):
        await newsroom.env.bot.storage.briefs.add(brief(n))

    result = await newsroom.alice.slash(newsroom.channel, "brief search", query=query)

    assert_clean_answer(result)
    if query in FINDS_COMET:
        assert result.response.embeds[0].title


@pytest.mark.parametrize("query", TOO_LONG, ids=["201-chars", "120-KB-line"])
async def test_search_box_refuses_queries_longer_than_discord_allows(newsroom, query: str) -> None:
    with pytest.raises(simcord.OptionError, match="at most 200 characters"):
        await newsroom.alice.slash(newsroom.channel, "brief search", query=query)


#: Numeric text of any length: int() refuses more than 4,300 digits, so it must never be asked.
LONG_NUMBERS = ["9" * 20, "1" + "0" * 4300, "9" * 6000, "#" + "7" * 5000, "0" * 5000 + "1"]


@pytest.mark.parametrize(
    "ref", [*NASTY_QUERIES, "#", "#-1", "99999999999999999999", "0", *LONG_NUMBERS]
)
async def test_show_and_its_autocomplete_answer_nasty_references_cleanly(
    newsroom, ref: str
) -> None:
    await newsroom.env.bot.storage.briefs.add(brief(1))

    choices = await newsroom.alice.autocomplete(newsroom.channel, "brief show", "brief", ref)
    result = await newsroom.alice.slash(newsroom.channel, "brief show", brief=ref)

    assert all(choice["value"] == "1" for choice in choices)
    assert result.acknowledged
    assert GENERIC_FAILURE not in result.response.content


@pytest.mark.parametrize("value", ["9" * 20, "9" * 100, "0" * 99 + "1"])  # values: 100 at most
async def test_an_open_menu_value_of_any_length_is_answered(newsroom, value: str) -> None:
    await newsroom.env.bot.storage.briefs.add(brief(1))
    menu = newsroom.env.backend.create_message(
        newsroom.channel.id, newsroom.env.bot.user.id, "", components=[{"type": 1, "components": [
            {"type": 3, "custom_id": "brief:open", "options": [{"label": "x", "value": value}]},
        ]}],
    )  # fmt: skip

    chosen = await newsroom.alice.select(to_discord_message(newsroom.env, menu), [value])

    assert REMOVED in chosen.response.content


@pytest.mark.parametrize("ref", ["²", "#³", "①"])
async def test_unicode_digit_lookalikes_in_a_reference_are_not_found_not_a_crash(
    simcord_env: simcord.Env, ref: str
) -> None:
    """`²` passes str.isdigit() but not int(): such refs must read as text, not crash."""
    env = simcord_env
    channel = env.create_guild(name="Newsroom").create_text_channel("news")
    alice = env.guild.add_member(env.create_user("alice"))
    await env.bot.storage.briefs.add(brief(1))

    choices = await alice.autocomplete(channel, "brief show", "brief", ref)
    result = await alice.slash(channel, "brief show", brief=ref)
    menu = env.backend.create_message(
        channel.id, env.bot.user.id, "", components=[{"type": 1, "components": [
            {"type": 3, "custom_id": "brief:open", "options": [{"label": ref, "value": ref}]},
        ]}],
    )  # fmt: skip
    chosen = await alice.select(to_discord_message(env, menu), [ref])

    assert "couldn't find" in result.response.content
    assert REMOVED in chosen.response.content
    assert choices == []


# --- forged components ---------------------------------------------------------------------


def snapshot(path: Path) -> list[list[tuple[object, ...]]]:
    """Everything stored, to prove a click changed nothing."""
    with connect(path) as conn:
        return [
            conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("briefs", "audit_log", "post_log", "subscriptions")
        ]


FORGED = [
    ("brief:more:abc", STALE_COMPONENT),
    ("brief:more:99999999999999999999", STALE_COMPONENT),
    ("brief:more:9223372036854775808", REMOVED),
    ("brief:more:-1", STALE_COMPONENT),
    ("brief:more:0", REMOVED),
    ("brief:more:{deleted}", "retracted"),
    ("brief:page:1:-5", STALE_COMPONENT),
    ("brief:page:{deleted}:2", "retracted"),
    ("brief:page:99999999999999999999:1", STALE_COMPONENT),
    ("brief:list:-1", STALE_COMPONENT),
    ("brief:list:abc", STALE_COMPONENT),
    ("brief:", STALE_COMPONENT),
    ("brief:nope", STALE_COMPONENT),
    ("brief:more:1:extra", STALE_COMPONENT),
    ("brief:search:0:", "Type a word or two"),
    ('brief:search:0:title:comet OR NEAR(a b) "* ^x', "no brief has the topic"),
    ("brief:search:-1:comet", STALE_COMPONENT),
    ("brief:delete:confirm:{live}", "publisher"),
    ("brief:delete:cancel:{live}", "publisher"),
    ("brief:draft:publish:0123456789abcdef", "publisher"),
    ("brief:draft:publish:nothex", STALE_COMPONENT),
]


@pytest.mark.parametrize(("custom_id", "answer"), FORGED, ids=[f[0] for f in FORGED])
async def test_forged_buttons_get_a_clean_private_answer_and_change_nothing(
    newsroom, settings: Settings, custom_id: str, answer: str
) -> None:
    bot: BriefBot = newsroom.env.bot
    live = await bot.storage.briefs.add(brief(1))
    deleted = await bot.storage.briefs.add(brief(2))
    await bot.storage.briefs.delete(deleted.id, actor_id=None)
    custom_id = custom_id.format(live=live.id, deleted=deleted.id)
    forged = newsroom.env.backend.create_message(
        newsroom.channel.id, bot.user.id, "Forged", components=[{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "More", "custom_id": custom_id},
        ]}],
    )  # fmt: skip
    message = to_discord_message(newsroom.env, forged)
    before = snapshot(settings.database_path)

    result = await newsroom.alice.click(message, label="More")

    assert_clean_answer(result)
    assert answer.lower() in result.response.content.lower()
    assert snapshot(settings.database_path) == before
    unchanged = newsroom.env.backend.get_message(newsroom.channel.id, forged.id)
    assert (unchanged.content, unchanged.components) == (forged.content, forged.components)
    assert await bot.storage.briefs.get(live.id) == live
    assert integrity_problems(settings.database_path) == []
