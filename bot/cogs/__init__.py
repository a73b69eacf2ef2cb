"""Discord glue, one extension per feature."""

EXTENSIONS: tuple[str, ...] = ("bot.cogs.briefs", "bot.cogs.autopost")
