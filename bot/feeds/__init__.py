"""Feeds: RSS, Atom and JSON Feed sources, fetched politely and safely, items mapped to briefs."""
