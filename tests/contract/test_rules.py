"""The contract's numbers, the bot's and the spec's agree: one of them being wrong is a bug."""

from __future__ import annotations

from typing import Any

import pytest

from bot import limits
from storage import links
from tests.contract import rules
from tests.contract.spec import vendored_spec

#: A constant of the bot, and the schema keyword in the spec that holds the same limit.
IN_THE_SPEC = [
    (limits.EMBED_TITLE, "RichEmbed", "title", "maxLength"),
    (limits.EMBED_DESCRIPTION, "RichEmbed", "description", "maxLength"),
    (limits.EMBED_FIELDS, "RichEmbed", "fields", "maxItems"),
    (limits.EMBED_FIELD_NAME, "RichEmbedField", "name", "maxLength"),
    (limits.EMBED_FIELD_VALUE, "RichEmbedField", "value", "maxLength"),
    (limits.EMBED_FOOTER, "RichEmbedFooter", "text", "maxLength"),
    (limits.EMBED_AUTHOR_NAME, "RichEmbedAuthor", "name", "maxLength"),
    (limits.EMBEDS_PER_MESSAGE, "MessageCreateRequest", "embeds", "maxItems"),
    (links.EMBED_URL, "RichEmbed", "url", "maxLength"),
    (links.EMBED_URL, "RichEmbedImage", "url", "maxLength"),
    (links.EMBED_URL, "RichEmbedThumbnail", "url", "maxLength"),
    (links.LINK_BUTTON_URL, "ButtonComponentForMessageRequest", "url", "maxLength"),
    (limits.CUSTOM_ID, "ButtonComponentForMessageRequest", "custom_id", "maxLength"),
    (limits.CUSTOM_ID, "StringSelectComponentForMessageRequest", "custom_id", "maxLength"),
    (limits.CUSTOM_ID, "ModalInteractionCallbackRequestData", "custom_id", "maxLength"),
    (limits.BUTTON_LABEL, "ButtonComponentForMessageRequest", "label", "maxLength"),
    (limits.SELECT_OPTIONS, "StringSelectComponentForMessageRequest", "options", "maxItems"),
    (limits.SELECT_OPTION_LABEL, "StringSelectOptionForRequest", "label", "maxLength"),
    (limits.SELECT_OPTION_DESCRIPTION, "StringSelectOptionForRequest", "description", "maxLength"),
    (
        limits.AUTOCOMPLETE_CHOICES,
        "InteractionApplicationCommandAutocompleteCallbackStringData",
        "choices",
        "maxItems",
    ),
    (limits.CHOICE_NAME, "ApplicationCommandOptionStringChoice", "name", "maxLength"),
    (limits.TEXT_INPUT_VALUE, "TextInputComponentForModalRequest", "value", "maxLength"),
    (limits.TEXT_INPUT_LABEL, "TextInputComponentForModalRequest", "label", "maxLength"),
    (
        limits.TEXT_INPUT_PLACEHOLDER,
        "TextInputComponentForModalRequest",
        "placeholder",
        "maxLength",
    ),
    (limits.COMMAND_NAME, "ApplicationCommandUpdateRequest", "name", "maxLength"),
    (limits.COMMAND_DESCRIPTION, "ApplicationCommandUpdateRequest", "description", "maxLength"),
    (limits.COMMAND_OPTIONS, "ApplicationCommandUpdateRequest", "options", "maxItems"),
]

#: A constant of the bot, and the contract's own for a limit the spec does not hold.
DOCUMENTED_ONLY = [
    (limits.EMBEDS_TOTAL, rules.EMBEDS_TOTAL),
    (limits.MESSAGE_CONTENT, rules.MESSAGE_CONTENT),
    (limits.MODAL_INPUTS, rules.MODAL_COMPONENTS),
    (limits.CHOICE_VALUE, rules.CHOICE_VALUE),
    (limits.COMMAND_TOTAL_CHARS, rules.COMMAND_CHARACTERS),
    (limits.GLOBAL_CHAT_COMMANDS, rules.CHAT_INPUT_COMMANDS),
]


@pytest.mark.parametrize(("ours", "schema", "field", "keyword"), IN_THE_SPEC)
def test_bot_limits_match_the_spec(ours: int, schema: str, field: str, keyword: str) -> None:
    properties: dict[str, Any] = vendored_spec().document["components"]["schemas"][schema][
        "properties"
    ]

    assert properties[field][keyword] == ours


@pytest.mark.parametrize(("ours", "documented"), DOCUMENTED_ONLY)
def test_bot_limits_match_the_documented_ones(ours: int, documented: int) -> None:
    assert ours == documented


def test_web_links_are_the_schemes_the_bot_allows() -> None:
    assert links.SCHEMES == rules.WEB_SCHEMES
