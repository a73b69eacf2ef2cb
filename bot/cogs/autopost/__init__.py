"""The `/autopost` feature: every new brief posted once to each subscribed server's channel."""

from bot.cogs.autopost._cog import setup

__all__ = ["setup"]
