"""No ping except the configured role: what a message body may let Discord mention.

Without `allowed_mentions` Discord parses every mention in the content, @everyone included, and
an edit re-parses new content "with default allowances" whatever the original message allowed
(https://discord.com/developers/docs/resources/message#allowed-mentions-object). Brief text and
echoed search queries come from members, so every body that carries text (`content` or
`embeds`) must say that nothing may be pinged, except the single role the auto-post mention
feature lists explicitly in `allowed_mentions.roles`. Interaction replies are held to the same
rule, ephemeral or not: the check reads the body, and a body does not know who will see it.
Bodies without text (a deferral's flags, a components-only edit) cannot ping; their
`allowed_mentions`, if any, must still allow nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from tests.contract.finding import Finding, at

#: The auto-post feature mentions one configured role; nothing else may be pingable.
PINGABLE_ROLES = 1
MENTION = re.compile(r"@everyone|@here|<@!?\d+>|<@&\d+>")


def mention_findings(message: Mapping[str, Any], path: str) -> Iterator[Finding]:
    """Yield every way this message body could ping more than the configured role."""
    allowed = message.get("allowed_mentions")
    where = at(path, "allowed_mentions")
    if allowed is None:
        if _has_text(message):
            yield Finding(where, _missing_reason(message))
        return
    if not isinstance(allowed, Mapping):
        return  # the schema reports the wrong type
    parse = allowed.get("parse") or []
    if parse:
        yield Finding(at(where, "parse"), f"parse {list(parse)} lets the text ping; use []")
    if allowed.get("users"):
        yield Finding(at(where, "users"), "users may be pinged; only the configured role may")
    roles = allowed.get("roles") or []
    if len(roles) > PINGABLE_ROLES:
        yield Finding(
            at(where, "roles"),
            f"{len(roles)} roles may be pinged; only the one configured role may",
        )
    if allowed.get("replied_user"):
        yield Finding(at(where, "replied_user"), "the author of the replied-to message is pinged")


def mentions_in(message: Mapping[str, Any]) -> list[str]:
    """The mention syntax (@everyone, @here, <@id>, <@&id>) in the body's text, in order."""
    return [match.group() for text in _texts(message) for match in MENTION.finditer(text)]


def _has_text(message: Mapping[str, Any]) -> bool:
    return message.get("content") is not None or bool(message.get("embeds"))


def _missing_reason(message: Mapping[str, Any]) -> str:
    reason = "missing: Discord would ping every mention in the text"
    found = mentions_in(message)
    if found:
        shown = ", ".join(dict.fromkeys(found[:3]))
        reason += f", and the text has {shown}"
    return reason


def _texts(message: Mapping[str, Any]) -> Iterator[str]:
    content = message.get("content")
    if isinstance(content, str):
        yield content
    for embed in message.get("embeds") or []:
        if isinstance(embed, Mapping):
            yield from _strings(embed)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
