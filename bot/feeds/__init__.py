"""Feeds: RSS, Atom and JSON Feed sources, fetched politely and safely, items mapped to briefs."""

from bot.feeds._fetch import Fetcher
from bot.feeds._guard import UrlRefused, check_url
from bot.feeds._model import FeedItem, FeedParseError, Fetched, FetchOutcome, ParsedFeed
from bot.feeds._policy import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL, Notice
from bot.feeds._polling import DryRun, FeedNotice, Poller, PollReport, dry_run
from bot.feeds._setup import feed_name, fetcher_for, user_agent

__all__ = [
    "DEFAULT_INTERVAL",
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "DryRun",
    "FeedItem",
    "FeedNotice",
    "FeedParseError",
    "FetchOutcome",
    "Fetched",
    "Fetcher",
    "Notice",
    "ParsedFeed",
    "PollReport",
    "Poller",
    "UrlRefused",
    "check_url",
    "dry_run",
    "feed_name",
    "fetcher_for",
    "user_agent",
]
