"""`python -m bot check`: validate settings, database and command payloads without Discord."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.app import command_hash, command_payload, create_bot, sync_scope
from bot.cli.output import EXIT_FAILED, EXIT_OK, writing
from bot.config import Settings
from bot.limits import (
    COMMAND_DESCRIPTION,
    COMMAND_NAME,
    COMMAND_OPTIONS,
    COMMAND_TOTAL_CHARS,
    GLOBAL_CHAT_COMMANDS,
)
from storage.backends import open_storage, redact
from storage.errors import DatabaseMissingError, DatabaseUnavailableError

#: Discord's rule for chat-input command and option names (lower case where the script has it).
_NAME = re.compile(rf"^[-_'\w]{{1,{COMMAND_NAME}}}$")


@dataclass(frozen=True)
class Finding:
    """One check's outcome: ok or not, and what was seen."""

    ok: bool
    what: str


def payload_problems(commands: list[dict[str, Any]]) -> Iterator[str]:
    """Yield every way these command payloads break Discord's documented limits."""
    if len(commands) > GLOBAL_CHAT_COMMANDS:
        yield f"{len(commands)} commands; Discord allows {GLOBAL_CHAT_COMMANDS}"
    for command in commands:
        yield from _problems(command, command["name"])
        total = _characters(command)
        if total > COMMAND_TOTAL_CHARS:
            yield f"/{command['name']}: {total} characters; the limit is {COMMAND_TOTAL_CHARS}"


def _problems(item: dict[str, Any], path: str) -> Iterator[str]:
    name = item.get("name", "")
    if not _NAME.match(name) or name != name.lower() or len(name) > COMMAND_NAME:
        yield f"{path}: invalid name {name!r}"
    description = item.get("description", "")
    if not 1 <= len(description) <= COMMAND_DESCRIPTION:
        yield f"{path}: description must be 1-{COMMAND_DESCRIPTION} characters"
    options = item.get("options", [])
    if len(options) > COMMAND_OPTIONS:
        yield f"{path}: {len(options)} options; the limit is {COMMAND_OPTIONS}"
    required_seen_optional = False
    for option in options:
        if option.get("type") in (1, 2):
            yield from _problems(option, f"{path} {option.get('name')}")
            continue
        if option.get("required") and required_seen_optional:
            yield f"{path}: required option {option.get('name')!r} follows an optional one"
        required_seen_optional |= not option.get("required", False)
        yield from _problems(option, f"{path} {option.get('name')}")


def _characters(item: dict[str, Any]) -> int:
    size = len(item.get("name", "")) + len(item.get("description", ""))
    for choice in item.get("choices", []) or []:
        size += len(choice.get("name", "")) + len(str(choice.get("value", "")))
    return size + sum(_characters(option) for option in item.get("options", []) or [])


def shard_layout(settings: Settings) -> str:
    """Describe which shards this process will run."""
    if settings.shard_count is None:
        return "shards: as many as Discord recommends, all in this process"
    ids = settings.shard_ids or list(range(settings.shard_count))
    return f"shards: {', '.join(map(str, ids))} of {settings.shard_count}"


async def check(settings: Settings) -> int:
    """Print one line per check; exit 1 if any failed."""
    findings = await run_checks(settings)
    with writing():
        for finding in findings:
            print(f"{'ok  ' if finding.ok else 'FAIL'} {finding.what}")
    return EXIT_OK if all(f.ok for f in findings) else EXIT_FAILED


async def run_checks(settings: Settings) -> list[Finding]:
    """Build the bot offline, open its database and inspect what it would send Discord."""
    findings = [
        Finding(
            settings.token is not None,
            "DISCORD_TOKEN is set"
            if settings.token
            else "DISCORD_TOKEN is not set (needed by `run` only)",
        ),
    ]
    # A check creates nothing: a SQLite file that does not exist (a mistyped path) fails here.
    try:
        existing = await open_storage(settings.database, create=False)
    except DatabaseMissingError as exc:
        findings.append(Finding(False, f"{exc} (`run` and `import` create it)"))
        return findings
    except DatabaseUnavailableError as exc:
        findings.append(Finding(False, str(exc)))
        return findings
    await existing.close()
    # `async with` initialises the client (as login would, minus the network) and closes it.
    async with create_bot(settings) as bot:
        try:
            await bot.prepare()
        except DatabaseUnavailableError as exc:
            findings.append(Finding(False, str(exc)))
            return findings
        findings.append(Finding(True, f"database {redact(settings.database)} opened"))
        version, latest = await bot.storage.schema_version(), bot.storage.latest_version()
        findings.append(Finding(version == latest, f"schema version {version} of {latest}"))
        integrity = await bot.storage.integrity_problems()
        findings.append(
            Finding(not integrity, "integrity check ok" if not integrity else "; ".join(integrity))
        )
        findings.append(Finding(True, f"{await bot.storage.briefs.count()} brief(s) stored"))
        findings.append(Finding(True, shard_layout(settings)))
        payload = command_payload(bot.tree, None)
        commands = json.loads(payload)
        problems = list(payload_problems(commands))
        names = ", ".join(f"/{c['name']}" for c in commands)
        findings.append(
            Finding(
                not problems,
                f"command payloads valid ({names})" if not problems else "; ".join(problems),
            )
        )
        key, digest = command_hash(bot)
        synced = await bot.storage.state.get(key) == digest
        scope = sync_scope(bot)
        where = f"server {scope.id}" if scope else "globally"
        findings.append(
            Finding(
                True,
                f"commands {'unchanged' if synced else 'changed'}: "
                f"next start {'skips the sync' if synced else 'syncs ' + where}",
            )
        )
    return findings
