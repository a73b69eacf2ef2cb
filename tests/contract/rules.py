"""Discord's documented limits that its OpenAPI schema does not encode.

The schema already holds the per-field limits: embed title 256, description 4096, field name
256 and value 1024, footer 2048, author name 256, 10 embeds and 25 fields, custom_id 100,
button label 80, 5 components per action row, select options 1..25 with label, value and
description 100, link button url 512, embed, image and thumbnail urls 2048, 25 autocomplete
choices with names of 100, modal title 45, text input label 45 and placeholder 100 (test_rules
proves each is reported). This module checks the rest.

The numbers are Discord's, written here apart from bot/limits.py on purpose: an oracle must
not share the code's mistakes. test_rules checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from tests.contract.finding import Finding, at

MESSAGE_DOCS = "https://discord.com/developers/docs/resources/message"
COMPONENT_DOCS = "https://discord.com/developers/docs/components/reference"
RESPONSE_DOCS = "https://discord.com/developers/docs/interactions/receiving-and-responding"
COMMAND_DOCS = "https://discord.com/developers/docs/interactions/application-commands"

#: Titles, descriptions, field names and values, footer texts and author names of all a
#: message's embeds together (MESSAGE_DOCS#embed-object-embed-limits).
EMBEDS_TOTAL = 6000
#: A bot's message content (MESSAGE_DOCS#create-message); the spec's 4000 is Nitro's limit.
MESSAGE_CONTENT = 2000
#: Top-level action rows of a message without IS_COMPONENTS_V2 (COMPONENT_DOCS#action-row).
ACTION_ROWS = 5
#: Message flag for the layout components (MESSAGE_DOCS#message-object-message-flags).
IS_COMPONENTS_V2 = 1 << 15
#: Components of a modal, "between 1 and 5" (RESPONSE_DOCS#interaction-response-object-modal).
MODAL_COMPONENTS = 5
#: A string choice's value, "max 100 characters"; the spec allows 6000
#: (COMMAND_DOCS#application-command-object-application-command-option-choice-structure).
CHOICE_VALUE = 100
#: Names, descriptions and choices of one command and all its options together, and chat
#: input commands per application or guild (COMMAND_DOCS#registering-a-command).
COMMAND_CHARACTERS = 4000
CHAT_INPUT_COMMANDS = 100
#: Schemes of a link button's url (COMPONENT_DOCS#button) and of an embed's own links; media
#: urls may also name an upload as attachment://, which the `uri` format allows.
WEB_SCHEMES = frozenset({"http", "https"})

#: Component types (COMPONENT_DOCS#component-object-component-types) and button styles.
ACTION_ROW = 1
BUTTON = 2
TEXT_INPUT = 4
SELECTS = frozenset({3, 5, 6, 7, 8})
LINK_STYLE = 5
PREMIUM_STYLE = 6
CHAT_INPUT = 1


def message_findings(message: Mapping[str, Any], path: str) -> Iterator[Finding]:
    """Yield the documented limits a message body (create or edit) breaks."""
    content = message.get("content")
    if isinstance(content, str) and len(content) > MESSAGE_CONTENT:
        yield Finding(
            at(path, "content"), f"{len(content)} characters; the limit is {MESSAGE_CONTENT}"
        )
    embeds = message.get("embeds")
    if isinstance(embeds, list):
        yield from _embed_findings(embeds, at(path, "embeds"))
    components = message.get("components")
    if isinstance(components, list):
        where = at(path, "components")
        flags = message.get("flags")
        if not (isinstance(flags, int) and flags & IS_COMPONENTS_V2):
            yield from _legacy_layout_findings(components, where)
        yield from _component_findings(components, where)


def autocomplete_findings(data: Mapping[str, Any], path: str) -> Iterator[Finding]:
    """Yield the documented limits an autocomplete result breaks."""
    choices = data.get("choices")
    for index, choice in enumerate(choices if isinstance(choices, list) else []):
        value = choice.get("value") if isinstance(choice, Mapping) else None
        if isinstance(value, str) and len(value) > CHOICE_VALUE:
            where = at(at(at(path, "choices"), index), "value")
            yield Finding(where, f"{len(value)} characters; the limit is {CHOICE_VALUE}")


def modal_findings(data: Mapping[str, Any], path: str) -> Iterator[Finding]:
    """Yield the documented limits a modal breaks."""
    components = data.get("components")
    if not isinstance(components, list):
        return
    where = at(path, "components")
    if len(components) > MODAL_COMPONENTS:
        yield Finding(where, f"{len(components)} components; the limit is {MODAL_COMPONENTS}")
    for component, component_path in _walk(components, where):
        children = component.get("components")
        if component.get("type") == ACTION_ROW and isinstance(children, list):
            inputs = [child for child in children if _type(child) == TEXT_INPUT]
            if inputs and len(children) > 1:
                yield Finding(component_path, "a modal's action row holds one text input")
    yield from _component_findings(components, where)


def command_findings(commands: list[Any], path: str) -> Iterator[Finding]:
    """Yield the documented limits a set of commands breaks."""
    chat_input = [
        command
        for command in commands
        if isinstance(command, Mapping) and command.get("type", CHAT_INPUT) == CHAT_INPUT
    ]
    if len(chat_input) > CHAT_INPUT_COMMANDS:
        yield Finding(
            path, f"{len(chat_input)} chat input commands; the limit is {CHAT_INPUT_COMMANDS}"
        )
    for index, command in enumerate(commands):
        if isinstance(command, Mapping):
            yield from single_command_findings(command, at(path, index))


def single_command_findings(command: Mapping[str, Any], path: str) -> Iterator[Finding]:
    """Yield the documented limits one command breaks."""
    size = _command_characters(command)
    if size > COMMAND_CHARACTERS:
        yield Finding(
            path,
            f"/{command.get('name')}: {size} characters in names, descriptions and choices; "
            f"the limit is {COMMAND_CHARACTERS}",
        )


def _embed_findings(embeds: list[Any], path: str) -> Iterator[Finding]:
    total = 0
    for index, embed in enumerate(embeds):
        if not isinstance(embed, Mapping):
            continue
        total += _embed_characters(embed)
        where = at(path, index)
        yield from _web_link(embed.get("url"), at(where, "url"))
        author = embed.get("author")
        if isinstance(author, Mapping):
            yield from _web_link(author.get("url"), at(at(where, "author"), "url"))
    if total > EMBEDS_TOTAL:
        yield Finding(path, f"{total} characters across the embeds; the limit is {EMBEDS_TOTAL}")


def _embed_characters(embed: Mapping[str, Any]) -> int:
    texts = [embed.get("title"), embed.get("description")]
    for field in embed.get("fields") or []:
        if isinstance(field, Mapping):
            texts += [field.get("name"), field.get("value")]
    for part, key in (("footer", "text"), ("author", "name")):
        holder = embed.get(part)
        if isinstance(holder, Mapping):
            texts.append(holder.get(key))
    return sum(len(text) for text in texts if isinstance(text, str))


def _legacy_layout_findings(components: list[Any], path: str) -> Iterator[Finding]:
    if len(components) > ACTION_ROWS:
        yield Finding(path, f"{len(components)} action rows; the limit is {ACTION_ROWS}")
    for index, component in enumerate(components):
        if _type(component) != ACTION_ROW:
            yield Finding(
                at(path, index),
                f"type {_type(component)} at the top level needs the IS_COMPONENTS_V2 flag",
            )


def _component_findings(components: list[Any], path: str) -> Iterator[Finding]:
    """Rules for components anywhere in a message or modal: ids, buttons, rows, selects."""
    custom_ids: dict[str, str] = {}
    for component, where in _walk(components, path):
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in custom_ids:
                yield Finding(
                    at(where, "custom_id"),
                    f"{custom_id!r} is also the custom_id of {custom_ids[custom_id]}",
                )
            custom_ids.setdefault(custom_id, where)
        kind = component.get("type")
        if kind == BUTTON:
            yield from _button_findings(component, where)
        elif kind == ACTION_ROW:
            children = component.get("components")
            if isinstance(children, list) and len(children) > 1:
                selects = [child for child in children if _type(child) in SELECTS]
                if selects:
                    yield Finding(where, "a select menu must be alone in its action row")
        elif kind in SELECTS:
            yield from _select_findings(component, where)


def _button_findings(button: Mapping[str, Any], path: str) -> Iterator[Finding]:
    style = button.get("style")
    if style == LINK_STYLE:
        if not button.get("url"):
            yield Finding(at(path, "url"), "a link button needs a url")
        if button.get("custom_id") is not None:
            yield Finding(at(path, "custom_id"), "a link button takes no custom_id")
        yield from _web_link(button.get("url"), at(path, "url"))
    elif style == PREMIUM_STYLE:
        if button.get("sku_id") is None:
            yield Finding(at(path, "sku_id"), "a premium button needs a sku_id")
        for key in ("custom_id", "url", "label", "emoji"):
            if button.get(key) is not None:
                yield Finding(at(path, key), f"a premium button takes no {key}")
    else:
        if button.get("custom_id") is None:
            yield Finding(at(path, "custom_id"), f"a style {style} button needs a custom_id")
        if button.get("url") is not None:
            yield Finding(at(path, "url"), "only a link button takes a url")
    if style != PREMIUM_STYLE and not button.get("label") and not button.get("emoji"):
        yield Finding(path, "a button needs a label or an emoji")


def _select_findings(select: Mapping[str, Any], path: str) -> Iterator[Finding]:
    low, high = select.get("min_values"), select.get("max_values")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        yield Finding(at(path, "min_values"), f"min_values {low} is above max_values {high}")
    options = select.get("options")
    seen: set[str] = set()
    for index, option in enumerate(options if isinstance(options, list) else []):
        value = option.get("value") if isinstance(option, Mapping) else None
        if isinstance(value, str):
            if value in seen:
                where = at(at(at(path, "options"), index), "value")
                yield Finding(where, f"{value!r} is the value of an earlier option too")
            seen.add(value)


def _web_link(url: Any, path: str) -> Iterator[Finding]:
    if isinstance(url, str) and urlsplit(url).scheme not in WEB_SCHEMES:
        yield Finding(path, f"{url[:60]!r} is not an http(s) link")


def _walk(components: list[Any], path: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    """Every component with its path, nested ones (rows, containers, sections, labels) too."""
    for index, component in enumerate(components):
        yield from _walk_one(component, at(path, index))


def _walk_one(component: Any, path: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    if not isinstance(component, Mapping):
        return
    yield component, path
    children = component.get("components")
    if isinstance(children, list):
        yield from _walk(children, at(path, "components"))
    for key in ("accessory", "component"):
        yield from _walk_one(component.get(key), at(path, key))


def _command_characters(item: Mapping[str, Any]) -> int:
    size = sum(_length(item.get(key)) for key in ("name", "description"))
    for choice in item.get("choices") or []:
        if isinstance(choice, Mapping):
            size += _length(choice.get("name")) + len(str(choice.get("value", "")))
    options = [option for option in item.get("options") or [] if isinstance(option, Mapping)]
    return size + sum(_command_characters(option) for option in options)


def _length(text: Any) -> int:
    return len(text) if isinstance(text, str) else 0


def _type(component: Any) -> Any:
    return component.get("type") if isinstance(component, Mapping) else None
