"""What every poller is built from: the fetcher the settings describe, and a feed's name."""

from __future__ import annotations

import re
from collections.abc import Collection
from importlib import metadata
from urllib.parse import urlsplit

from bot.config import Settings
from bot.feeds._fetch import Fetcher
from storage.sources import SOURCE_NAME


def user_agent(settings: Settings) -> str:
    """Name the bot, its version and whom to contact (FEEDS_CONTACT), as polite readers do."""
    try:
        version = metadata.version("briefbot")
    except metadata.PackageNotFoundError:
        version = "dev"
    contact = f"; +{settings.feeds_contact}" if settings.feeds_contact else ""
    return f"briefbot/{version} (feed reader{contact})"


def fetcher_for(settings: Settings) -> Fetcher:
    """Return the fetcher the settings describe (its session opens on first use)."""
    return Fetcher(user_agent=user_agent(settings), allow_private=settings.feeds_allow_private)


def feed_name(url: str, taken: Collection[str]) -> str:
    """Propose a source name for a feed from its host (`www.example.org` → `example-org`),
    numbered when taken."""
    host = (urlsplit(url).hostname or "feed").removeprefix("www.")
    base = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")[:28] or "feed"
    if not SOURCE_NAME.fullmatch(base):
        base = "feed"
    name, number = base, 1
    while name in taken or name == "cli":
        number += 1
        name = f"{base}-{number}"
    return name
