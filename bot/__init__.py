"""briefbot: an async Discord bot that publishes news briefs."""
