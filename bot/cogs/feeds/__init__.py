"""The `/feed` feature: publishers add and watch the RSS, Atom and JSON feeds briefs come from."""

from bot.cogs.feeds._cog import setup

__all__ = ["setup"]
