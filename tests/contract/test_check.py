"""The contract check reports bad payloads, each at its place, and lets good ones through."""

from __future__ import annotations

from typing import Any

import pytest
from simcord import HttpLogEntry

from tests.contract.check import Violation, check_request, check_requests, report

CHANNEL_MESSAGES = "/channels/111/messages"
CALLBACK = "/interactions/222/token-abc/callback"
FOLLOWUP = "/webhooks/333/token-abc"
ORIGINAL = "/webhooks/333/token-abc/messages/@original"
COMMANDS = "/applications/333/commands"
NO_MENTIONS: dict[str, list[int]] = {"parse": []}


def brief_message(**overrides: Any) -> dict[str, Any]:
    """A summary post as discord.py sends it: embed, More and Source buttons, no mentions."""
    body: dict[str, Any] = {
        "content": None,
        "embeds": [
            {
                "type": "rich",
                "title": "A bright comet returns",
                "url": "https://news.example/comet",
                "description": "A comet will be visible this weekend.",
                "color": 2060267,
                "timestamp": "2026-12-02T08:05:39.701114+00:00",
                "fields": [{"name": "IMPACT", "value": "Record visitors.", "inline": False}],
                "footer": {"text": "Brief #1"},
                "image": {"url": "https://news.example/comet.png"},
            }
        ],
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 1, "label": "More", "custom_id": "brief:more:1"},
                    {"type": 2, "style": 5, "label": "Source", "url": "https://news.example/c"},
                ],
            }
        ],
        "tts": False,
        "allowed_mentions": dict(NO_MENTIONS),
    }
    body.update(overrides)
    return body


def reply(data: dict[str, Any], kind: int = 4) -> dict[str, Any]:
    return {"type": kind, "data": data}


def select(options: int) -> dict[str, Any]:
    return {
        "type": 1,
        "components": [
            {
                "type": 3,
                "custom_id": "brief:pick",
                "options": [{"label": f"Brief {n}", "value": str(n)} for n in range(options)],
            }
        ],
    }


def modal(title: str = "Edit brief", rows: int = 2, **text_input: Any) -> dict[str, Any]:
    inputs = [
        {"type": 4, "custom_id": f"field:{n}", "style": 1, "label": "Title", **text_input}
        for n in range(rows)
    ]
    data = {
        "custom_id": "brief:edit:1",
        "title": title,
        "components": [{"type": 1, "components": [text]} for text in inputs],
    }
    return reply(data, kind=9)


def choices(count: int, value: str = "1") -> dict[str, Any]:
    return reply({"choices": [{"name": f"Brief {n}", "value": value} for n in range(count)]}, 8)


def command(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "brief",
        "description": "Read the news briefs",
        "type": 1,
        "options": [{"type": 1, "name": "latest", "description": "The newest brief"}],
    }
    return body | overrides


def subcommand(n: int) -> dict[str, Any]:
    """A subcommand with five string options, 614 characters of names and descriptions."""
    options = [{"type": 3, "name": f"o{m}", "description": "d" * 100} for m in range(5)]
    return {"type": 1, "name": f"sub{n}", "description": "d" * 100, "options": options}


def problems(method: str, path: str, body: Any) -> list[tuple[str, str]]:
    return [(v.where, v.reason) for v in check_request(method, path, body)]


def with_button(**button: Any) -> dict[str, Any]:
    return brief_message(components=[{"type": 1, "components": [{"type": 2, **button}]}])


def with_embed(**embed: Any) -> dict[str, Any]:
    return brief_message(embeds=[embed])


LONG = "https://news.example/" + "a" * 2048

VALID = [
    pytest.param("POST", CHANNEL_MESSAGES, brief_message(), id="auto-post"),
    pytest.param(
        "POST",
        CHANNEL_MESSAGES,
        brief_message(
            content="<@&444>", allowed_mentions={"parse": [], "roles": [444], "users": []}
        ),
        id="auto-post mentioning the configured role",
    ),
    pytest.param("PATCH", "/channels/111/messages/555", brief_message(), id="edit"),
    pytest.param("POST", CALLBACK, reply(brief_message()), id="reply"),
    pytest.param("POST", CALLBACK, reply(brief_message(), kind=7), id="update"),
    pytest.param("POST", CALLBACK, reply({"flags": 64}, kind=5), id="deferral"),
    pytest.param("POST", CALLBACK, reply({"components": []}, kind=7), id="components-only"),
    pytest.param("POST", CALLBACK, modal(placeholder="A short title"), id="modal"),
    pytest.param("POST", CALLBACK, choices(25), id="autocomplete"),
    pytest.param("POST", FOLLOWUP, brief_message(flags=64), id="follow-up"),
    pytest.param("PATCH", ORIGINAL, brief_message(), id="edit original"),
    pytest.param(
        "POST",
        CHANNEL_MESSAGES,
        brief_message(
            embeds=[{"image": {"url": "attachment://chart.png"}}],
            attachments=[{"id": 0, "filename": "chart.png"}],
        ),
        id="upload shown in the embed",
    ),
    pytest.param("PUT", COMMANDS, [command()], id="commands"),
    pytest.param("PUT", "/applications/333/guilds/666/commands", [], id="guild commands"),
    pytest.param("POST", "/channels/111/messages/555/crosspost", None, id="crosspost"),
    pytest.param(
        "POST",
        "/channels/111/threads",
        {"name": "A brief", "message": {"embeds": [{"title": "A brief"}]}, "applied_tags": ["9"]},
        id="forum post",
    ),
    pytest.param("POST", "/channels/111/messages/555/threads", {"name": "A brief"}, id="thread"),
    pytest.param("GET", "/oauth2/applications/@me", None, id="unknown route without a body"),
]


@pytest.mark.parametrize(("method", "path", "body"), VALID)
def test_valid_payload_passes(method: str, path: str, body: Any) -> None:
    assert check_request(method, path, body) == []


def bad(
    name: str,
    body: Any,
    where: str,
    words: str,
    *,
    method: str = "POST",
    path: str = CHANNEL_MESSAGES,
) -> Any:
    """A payload the check must report at `where`, with `words` in the reason."""
    return pytest.param(method, path, body, where, words, id=name)


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def button(n: int) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": str(n), "custom_id": str(n)}


FIRST = "$.components[0].components[0]"

INVALID = [
    bad("embed url over 2048", with_embed(url=LONG), "$.embeds[0].url", "2069 characters"),
    bad("image url over 2048", with_embed(image={"url": LONG}), "$.embeds[0].image.url", "2048"),
    bad(
        "thumbnail url over 2048",
        with_embed(thumbnail={"url": LONG}),
        "$.embeds[0].thumbnail.url",
        "the limit is 2048",
    ),
    bad(
        "link button url over 512",
        with_button(style=5, label="Source", url=LONG[:600]),
        f"{FIRST}.url",
        "the limit is 512",
    ),
    bad(
        "link with a space",
        with_button(style=5, label="Source", url="https://a.test/a b"),
        f"{FIRST}.url",
        "whitespace",
    ),
    bad(
        "link with a raw non-ASCII character",
        with_embed(url="https://news.example/caf\u00e9"),
        "$.embeds[0].url",
        "RFC 3986",
    ),
    bad(
        "link with a broken escape", with_embed(url="https://a.test/100%"), "$.embeds[0].url", "'%'"
    ),
    bad("link without a host", with_embed(url="https:///comet"), "$.embeds[0].url", "no host"),
    bad("link without a scheme", with_embed(url="a.test/comet"), "$.embeds[0].url", "scheme"),
    bad(
        "embed link to an upload",
        with_embed(url="attachment://a.png"),
        "$.embeds[0].url",
        "not an http(s) link",
    ),
    bad(
        "6001 embed characters",
        brief_message(embeds=[{"description": "d" * 4000}, {"description": "d" * 2001}]),
        "$.embeds",
        "6001 characters across the embeds",
    ),
    bad(
        "every embed text counts",
        with_embed(
            title="t" * 256,
            description="d" * 4096,
            footer={"text": "f" * 1200},
            author={"name": "a" * 256},
            fields=[{"name": "n" * 256, "value": "v"}],
        ),
        "$.embeds",
        "6065 characters",
    ),
    bad("embed title over 256", with_embed(title="t" * 257), "$.embeds[0].title", "256"),
    bad(
        "field value over 1024",
        with_embed(fields=[{"name": "n", "value": "v" * 1025}]),
        "$.embeds[0].fields[0].value",
        "the limit is 1024",
    ),
    bad(
        "26 fields",
        with_embed(fields=[{"name": "n", "value": "v"}] * 26),
        "$.embeds[0].fields",
        "26 items",
    ),
    bad(
        "footer over 2048",
        with_embed(footer={"text": "f" * 2049}),
        "$.embeds[0].footer.text",
        "the limit is 2048",
    ),
    bad("11 embeds", brief_message(embeds=[{"title": "t"}] * 11), "$.embeds", "11 items"),
    bad("content over 2000", brief_message(content="c" * 2001), "$.content", "limit is 2000"),
    bad(
        "custom_id of 101",
        with_button(style=1, label="More", custom_id="c" * 101),
        f"{FIRST}.custom_id",
        "101 characters",
    ),
    bad(
        "button label over 80",
        with_button(style=1, label="l" * 81, custom_id="c"),
        f"{FIRST}.label",
        "the limit is 80",
    ),
    bad(
        "link with a custom_id",
        with_button(style=5, label="Source", url="https://a.test", custom_id="source"),
        f"{FIRST}.custom_id",
        "no custom_id",
    ),
    bad(
        "button without a label",
        with_button(style=1, custom_id="more"),
        FIRST,
        "label or an emoji",
    ),
    bad(
        "26 select options",
        brief_message(components=[select(26)]),
        f"{FIRST}.options",
        "26 items",
    ),
    bad(
        "no select options",
        brief_message(components=[select(0)]),
        f"{FIRST}.options",
        "at least 1",
    ),
    bad(
        "option label over 100",
        brief_message(
            components=[
                row(
                    {
                        "type": 3,
                        "custom_id": "pick",
                        "options": [{"label": "x" * 101, "value": "1"}],
                    }
                )
            ]
        ),
        f"{FIRST}.options[0].label",
        "the limit is 100",
    ),
    bad(
        "duplicate option values",
        brief_message(
            components=[
                row(
                    {
                        "type": 3,
                        "custom_id": "pick",
                        "options": [{"label": "a", "value": "1"}, {"label": "b", "value": "1"}],
                    }
                )
            ]
        ),
        f"{FIRST}.options[1].value",
        "earlier option",
    ),
    bad(
        "select beside a button",
        brief_message(components=[row(*select(2)["components"], button(1))]),
        "$.components[0]",
        "alone in its action row",
    ),
    bad(
        "6 action rows", brief_message(components=[select(2)] * 6), "$.components", "6 action rows"
    ),
    bad(
        "duplicate custom_id",
        brief_message(components=[select(2)] * 2),
        "$.components[1].components[0].custom_id",
        "also the custom_id",
    ),
    bad(
        "6 buttons in a row",
        brief_message(components=[row(*(button(n) for n in range(6)))]),
        "$.components[0].components",
        "6 items",
    ),
    bad(
        "26 autocomplete choices",
        choices(26),
        "$.data.choices",
        "26 items",
        path=CALLBACK,
    ),
    bad(
        "autocomplete value over 100",
        choices(1, value="v" * 101),
        "$.data.choices[0].value",
        "the limit is 100",
        path=CALLBACK,
    ),
    bad(
        "autocomplete name over 100",
        reply({"choices": [{"name": "n" * 101, "value": "1"}]}, 8),
        "$.data.choices[0].name",
        "the limit is 100",
        path=CALLBACK,
    ),
    bad("modal title of 46", modal(title="t" * 46), "$.data.title", "46 characters", path=CALLBACK),
    bad(
        "text input label of 46",
        modal(label="l" * 46),
        "$.data.components[0].components[0].label",
        "the limit is 45",
        path=CALLBACK,
    ),
    bad(
        "placeholder over 100",
        modal(placeholder="p" * 101),
        "$.data.components[0].components[0].placeholder",
        "the limit is 100",
        path=CALLBACK,
    ),
    bad("6 modal components", modal(rows=6), "$.data.components", "6 components", path=CALLBACK),
    bad(
        "can ping @everyone",
        brief_message(content="@everyone news", allowed_mentions={"parse": ["everyone"]}),
        "$.allowed_mentions.parse",
        "lets the text ping",
    ),
    bad(
        "reply without allowed_mentions",
        reply({"content": "@everyone read this", "flags": 64}),
        "$.data.allowed_mentions",
        "the text has @everyone",
        path=CALLBACK,
    ),
    bad(
        "edit without allowed_mentions",
        {"content": "Thanks <@123>"},
        "$.allowed_mentions",
        "the text has <@123>",
        method="PATCH",
        path=ORIGINAL,
    ),
    bad(
        "can ping a user",
        brief_message(allowed_mentions={"parse": [], "users": [123]}),
        "$.allowed_mentions.users",
        "users may be pinged",
        path=FOLLOWUP,
    ),
    bad(
        "can ping two roles",
        brief_message(content="<@&1> <@&2>", allowed_mentions={"roles": [1, 2]}),
        "$.allowed_mentions.roles",
        "2 roles",
    ),
    bad(
        "pings the replied user",
        brief_message(
            allowed_mentions={"parse": [], "replied_user": True},
            message_reference={"message_id": "1"},
        ),
        "$.allowed_mentions.replied_user",
        "replied-to",
    ),
    bad("unknown route", {"name": "news"}, "$", "no operation", path="/channels/111/webhooks"),
    bad(
        "string where an integer is required",
        with_embed(color="blue"),
        "$.embeds[0].color",
        "is not of type",
    ),
    bad(
        "callback type as a string",
        {"type": "4", "data": brief_message()},
        "$",
        "type '4' fits none of the 7 alternatives",
        path=CALLBACK,
    ),
    bad(
        "timestamp not ISO 8601", with_embed(timestamp="soon"), "$.embeds[0].timestamp", "date-time"
    ),
    bad("callback without a body", None, "$", "requires a body", path=CALLBACK),
    bad(
        "body where none is taken",
        {"x": 1},
        "$",
        "takes no request body",
        path="/channels/111/messages/555/crosspost",
    ),
    bad(
        "command name over 32",
        [command(name="b" * 33)],
        "$[0].name",
        "the limit is 32",
        method="PUT",
        path=COMMANDS,
    ),
    bad(
        "101 commands",
        [command(name=f"c{n}") for n in range(101)],
        "$",
        "101 chat input commands",
        method="PUT",
        path=COMMANDS,
    ),
    bad(
        "command over 4000 characters",
        [command(options=[subcommand(n) for n in range(7)])],
        "$[0]",
        "4323 characters",
        method="PUT",
        path=COMMANDS,
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "where", "words"), INVALID)
def test_bad_payload_is_reported(method: str, path: str, body: Any, where: str, words: str) -> None:
    found = problems(method, path, body)

    assert any(place == where and words in reason for place, reason in found), found


def test_the_schema_and_the_rules_do_not_report_one_place_twice() -> None:
    found = problems("POST", CHANNEL_MESSAGES, with_embed(url="ftp://news.example/a"))

    assert [place for place, _ in found] == ["$.embeds[0].url"]


def test_a_union_reports_the_alternative_the_body_aimed_at() -> None:
    """A reply (type 4) is not told why it is no modal or autocomplete result."""
    found = problems("POST", CALLBACK, reply(with_embed(url=LONG)))

    assert found == [("$.data.embeds[0].url", "2069 characters; the limit is 2048")]


def test_snowflakes_may_be_integers_or_strings_but_nothing_else() -> None:
    for role in (444, "444"):
        allowed = {"parse": [], "roles": [role]}
        assert problems("POST", CHANNEL_MESSAGES, brief_message(allowed_mentions=allowed)) == []

    allowed = {"parse": [], "roles": ["role"]}
    found = problems("POST", CHANNEL_MESSAGES, brief_message(allowed_mentions=allowed))

    assert [place for place, _ in found] == ["$.allowed_mentions.roles[0]"]


def test_report_names_route_place_reason_and_requests() -> None:
    bad = with_embed(url=LONG)
    log = [
        HttpLogEntry("GET", "/oauth2/applications/@me", {}, None, None),
        HttpLogEntry("POST", CHANNEL_MESSAGES, {}, bad, None),
        HttpLogEntry("POST", CHANNEL_MESSAGES, {}, brief_message(), None),
        HttpLogEntry("POST", "/channels/222/messages", {}, bad, None),
    ]

    violations = check_requests(log)

    expected = Violation(
        "POST /channels/{channel_id}/messages",
        "$.embeds[0].url",
        "2069 characters; the limit is 2048",
    )
    assert violations == [(1, expected), (3, expected)]
    assert report(violations).splitlines()[1:] == [f"  {expected}  [requests #1, #3]"]
