"""What the bot's own work tells Prometheus: deliveries, corrections and retractions, the queue,
Discord's 429s, how long a published brief takes to reach its first channel, and how late
held briefs are released.

A registry per bot, so two bots in one process (the tests, the benchmarks) never collide. The
API serves it beside its own at `/metrics` when it runs in the bot's process (`API_LISTEN`).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from types import SimpleNamespace

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: Seconds from publish to the first post: a push is in a channel within a second; a daily
#: cap or an outage defers posts by hours.
FIRST_POST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
#: Seconds from a held brief's release time to its release: within seconds normally.
RELEASE_BUCKETS = (1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0, 300.0, 3600.0)
#: Briefs whose first post this process remembers, so a brief's later copies (other channels,
#: `/autopost test`) are not observed as first posts again.
REMEMBERED_FIRST_POSTS = 10_000


class BotMetrics:
    """The bot's counters, gauge and histogram, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "briefbot_autopost_deliveries",
            "Attempts to post a brief to a subscribed channel, by outcome: sent, passed (posted "
            "or claimed elsewhere, or removed), retry, pause (the channel is out of reach), "
            "drop (Discord refused the message).",
            ["outcome"],
            registry=self.registry,
        )
        self.copy_updates = Counter(
            "briefbot_autopost_copy_updates",
            "Posted copies brought up to date, by change (correction, retraction) and outcome: "
            "edited, unchanged (what it shows did not change), retry, gone, unreachable, failed.",
            ["change", "outcome"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "briefbot_autopost_queue_depth",
            "Briefs waiting to be posted, summed over the subscriptions this process serves, "
            "as its last delivery pass left them.",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "briefbot_discord_rate_limited",
            "Responses from Discord with status 429, by scope (user, global, shared).",
            ["scope"],
            registry=self.registry,
        )
        self.first_post = Histogram(
            "briefbot_publish_to_first_post_seconds",
            "Seconds from a brief's publish to its first post by this process.",
            buckets=FIRST_POST_BUCKETS,
            registry=self.registry,
        )
        self.release_lateness = Histogram(
            "briefbot_release_lateness_seconds",
            "Seconds from a held brief's release time to its release by this process (a few "
            "normally; the downtime when the bot was not running at its time).",
            buckets=RELEASE_BUCKETS,
            registry=self.registry,
        )
        self.last_sweep = Gauge(
            "briefbot_autopost_last_sweep_timestamp_seconds",
            "When auto-posting's periodic sweep last finished (Unix time).",
            registry=self.registry,
        )
        #: When the sweep last finished (None: not yet), for /healthz.
        self.swept_at: datetime | None = None
        self._first_posts: OrderedDict[int, None] = OrderedDict()

    def swept(self, at: datetime) -> None:
        """Note that auto-posting's sweep finished a round."""
        self.swept_at = at
        self.last_sweep.set(at.timestamp())

    def posted(self, brief_id: int, published_at: datetime, now: datetime) -> None:
        """Observe a brief's publish → first post latency, once per brief."""
        if brief_id in self._first_posts:
            return
        self._first_posts[brief_id] = None
        if len(self._first_posts) > REMEMBERED_FIRST_POSTS:
            self._first_posts.popitem(last=False)
        self.first_post.observe(max(0.0, (now - published_at).total_seconds()))

    def http_trace(self) -> aiohttp.TraceConfig:
        """Return the trace discord.py's HTTP session runs with: it counts every 429, those
        discord.py waits out and retries by itself included."""
        trace = aiohttp.TraceConfig()

        async def ended(
            _session: aiohttp.ClientSession,
            _context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            if params.response.status == 429:
                scope = params.response.headers.get("X-RateLimit-Scope", "user")
                self.rate_limited.labels(scope=scope).inc()

        trace.on_request_end.append(ended)
        return trace
