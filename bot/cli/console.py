"""Human-readable rendering of preview payloads in a terminal (rich)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text


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
