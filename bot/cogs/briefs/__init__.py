"""The `/brief` feature: lookups for everyone; adding, editing and deleting for publishers."""

from bot.cogs.briefs._cog import setup

__all__ = ["setup"]
