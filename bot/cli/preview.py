"""`python -m bot preview`: what the bot would post for a brief file, as payloads or panels."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from bot.brief.files import read_file
from bot.brief.parsing import BriefParseError
from bot.cli.output import EXIT_OK, EXIT_USAGE, writing
from bot.config import Settings
from bot.ui.previews import preview_payload


async def preview(settings: Settings, path: Path, *, as_json: bool) -> int:
    """Print what the bot would post for each brief in a file."""
    try:
        briefs = read_file(
            path,
            strip_patterns=settings.brief_strip_patterns,
            max_chars=settings.brief_max_chars,
            max_bytes=settings.upload_max_bytes,
        )
    except BriefParseError as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    payloads = [preview_payload(brief) for brief in briefs]
    with writing():
        if as_json:
            print(
                json.dumps(
                    payloads[0] if len(payloads) == 1 else payloads, ensure_ascii=False, indent=2
                )
            )
        else:
            print_previews(payloads)
    return EXIT_OK


# --- in a terminal (rich) ------------------------------------------------------------------


def _embed_panel(embed: dict[str, Any], subtitle: str) -> Panel:
    parts: list[Text] = []
    if embed.get("description"):
        parts.append(Text(embed["description"]))
    for field in embed.get("fields", []):
        parts.append(Text(""))
        parts.append(Text(field["name"], style="bold"))
        parts.append(Text(field["value"]))
    if embed.get("image"):
        parts.append(Text(f"\n[image] {embed['image']['url']}", style="dim"))
    footer = embed.get("footer", {}).get("text")
    if footer:
        parts.append(Text(f"\n{footer}", style="dim"))
    title = Text(embed.get("title", ""), style="bold cyan")
    return Panel(Group(*parts), title=title, title_align="left", subtitle=subtitle, width=80)


def _buttons(components: Sequence[dict[str, Any]]) -> str:
    labels = [
        f"[ {c.get('label', '')} ]"
        for row in components
        for c in row.get("components", [])
        if c.get("type") == 2
    ]
    return "  ".join(labels)


def print_previews(payloads: Sequence[dict[str, Any]], console: Console | None = None) -> None:
    """Print each brief's summary message and article pages as panels."""
    console = console or Console()
    for payload in payloads:
        summary = payload["summary"]
        for embed in summary["embeds"]:
            console.print(_embed_panel(embed, _buttons(summary["components"])))
        pages = payload["article_pages"]
        for page in pages:
            for embed in page["embeds"]:
                console.print(_embed_panel(embed, _buttons(page["components"])))
