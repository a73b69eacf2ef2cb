"""Discord presentation shared by features: embeds, components, replies. Builds, never queries."""
