"""The demo's sample feed: an RSS feed served on loopback, with a page whose buttons publish
its next item or edit the newest one, so the visitor watches an item arrive in #news and an
edit at the source correct the post.

The feed is added to the demo's library like any other (its first items are its backlog:
stored, never posted), and each button has the feed fetched at once instead of at its next
interval, by a poller of its own (the bot's keeps polling it too).
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from bot.feeds import Fetcher, Poller
from storage.library import Storage

#: The demo feed's source name.
DEMO_FEED = "harbour-gazette"


@dataclass(frozen=True)
class Story:
    """One item of the sample feed."""

    guid: str
    title: str
    summary: str
    article: str
    topics: tuple[str, ...]


BACKLOG = (
    Story(
        "gazette-1",
        "Harbour dredging finishes early",
        "The harbour's dredging finished two weeks ahead of schedule.",
        "<p>Crews worked double shifts through October.</p>"
        "<p>Larger ferries can dock from May.</p>",
        ("harbour",),
    ),
    Story(
        "gazette-2",
        "Library extends its winter hours",
        "The central library stays open until 21:00 on weekdays this winter.",
        "<p>The council funded the extra hours for one season.</p>",
        ("community",),
    ),
)
NEXT = (
    Story(
        "gazette-3",
        "Night ferry returns on Fridays",
        "The night ferry to the islands runs again every Friday from 22:30.",
        "<p>It was cut in 2024 for want of crew.</p><ul><li>Tickets: 4 €</li>"
        "<li>Bikes: free</li></ul>",
        ("harbour", "transport"),
    ),
    Story(
        "gazette-4",
        "Fish market moves to the old customs house",
        "The Saturday fish market opens in the restored customs house next week.",
        "<p>The move frees the quay for the ferries.</p>",
        ("harbour", "community"),
    ),
    Story(
        "gazette-5",
        "Lighthouse open to visitors",
        "The lighthouse opens to visitors on the first Sunday of each month.",
        "<p>Booking is required; groups of twelve at most.</p>",
        ("community",),
    ),
)
#: What an edit at the source says instead of a story's summary.
EDITED = "Correction: {summary} (Times corrected by the newsroom.)"


@dataclass
class SampleFeed:
    """The feed's stories, newest first, and what the buttons did so far."""

    stories: list[Story] = field(default_factory=lambda: list(reversed(BACKLOG)))
    published: int = 0
    edited: set[str] = field(default_factory=set)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def publish_next(self) -> Story | None:
        """Put the next story at the top of the feed; None when every one is out."""
        if self.published >= len(NEXT):
            return None
        story = NEXT[self.published]
        self.published += 1
        self.stories.insert(0, story)
        return story

    def edit_newest(self) -> Story:
        """Correct the newest story's summary at the source."""
        self.edited.add(self.stories[0].guid)
        return self.stories[0]

    def rss(self) -> bytes:
        """Write the feed."""
        items = []
        for number, story in enumerate(reversed(self.stories)):
            summary = story.summary
            if story.guid in self.edited:
                summary = EDITED.format(summary=summary)
            when = self.started - timedelta(hours=len(self.stories) - number)
            items.append(
                "<item>"
                f"<guid isPermaLink='false'>{escape(story.guid)}</guid>"
                f"<title>{escape(story.title)}</title>"
                f"<description>{escape(summary)}</description>"
                f"<content:encoded><![CDATA[{story.article}]]></content:encoded>"
                + "".join(f"<category>{escape(topic)}</category>" for topic in story.topics)
                + f"<pubDate>{format_datetime(when)}</pubDate></item>"
            )
        return (
            "<?xml version='1.0' encoding='utf-8'?>"
            "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
            "<channel><title>Harbour Gazette</title><link>http://127.0.0.1/</link>"
            "<description>The demo's sample feed</description>"
            + "".join(reversed(items))
            + "</channel></rss>"
        ).encode()


PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>briefbot demo: the Harbour Gazette's feed</title>
<style>body{{font:16px system-ui;margin:2em auto;max-width:40em}}button{{font:inherit}}</style>
<h1>The Harbour Gazette's feed</h1>
<p>briefbot reads <a href="/feed.xml">this RSS feed</a>. Its first items were there when the
feed was added: stored and searchable, never posted. Publish the next item and watch it arrive
in #news; edit it here and watch the post there change.</p>
<form method="post" action="/publish"><button>Publish the next item</button></form>
<form method="post" action="/edit"><button>Edit the newest item at the source</button></form>
<p>{said}</p>
<h2>In the feed now</h2><ol>{items}</ol>
</html>"""


class FeedSite:
    """The sample feed and its page, served on loopback; each change has the feed read now."""

    def __init__(self, storage: Storage, poller: Poller) -> None:
        self.storage = storage
        self.poller = poller
        self.feed = SampleFeed()
        self.said = ""
        self.url = ""

    async def _feed(self, _request: web.Request) -> web.Response:
        return web.Response(body=self.feed.rss(), content_type="application/rss+xml")

    async def _page(self, _request: web.Request) -> web.Response:
        items = "".join(
            f"<li>{html.escape(story.title)}"
            f"{' (edited)' if story.guid in self.feed.edited else ''}</li>"
            for story in self.feed.stories
        )
        return web.Response(
            text=PAGE.format(said=html.escape(self.said), items=items), content_type="text/html"
        )

    async def _publish(self, _request: web.Request) -> web.Response:
        story = self.feed.publish_next()
        self.said = f"Published “{story.title}”." if story else "Every sample item is out."
        await self.read_now()
        raise web.HTTPSeeOther("/")

    async def _edit(self, _request: web.Request) -> web.Response:
        story = self.feed.edit_newest()
        self.said = f"Edited “{story.title}” at the source."
        await self.read_now()
        raise web.HTTPSeeOther("/")

    async def read_now(self) -> None:
        """Fetch the feed now, as its next interval would."""
        feed = await self.storage.feeds.get(DEMO_FEED)
        if feed is not None and not feed.paused:
            await self.poller.poll(feed)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get("/feed.xml", self._feed)
        app.router.add_post("/publish", self._publish)
        app.router.add_post("/edit", self._edit)
        return app


@contextlib.asynccontextmanager
async def sample_feed(storage: Storage, fetcher: Fetcher, max_chars: int) -> AsyncIterator[str]:
    """Serve the sample feed on loopback and add it to the library (its first items stored as
    backlog); yield the page's address."""
    site = FeedSite(storage, Poller(storage, fetcher, max_chars=max_chars))
    runner = web.AppRunner(site.app(), access_log=None)
    await runner.setup()
    try:
        tcp = web.TCPSite(runner, "127.0.0.1", 0)
        await tcp.start()
        port = runner.addresses[0][1]
        site.url = f"http://127.0.0.1:{port}"
        feed_url = f"{site.url}/feed.xml"
        existing = await storage.feeds.get(DEMO_FEED)
        if existing is not None and existing.url != feed_url:
            await storage.feeds.remove(DEMO_FEED)  # a library kept from an earlier demo
            existing = None
        if existing is None:
            await storage.feeds.add(
                DEMO_FEED, feed_url, label="Harbour Gazette", interval=timedelta(minutes=10)
            )
        await site.read_now()
        yield site.url
    finally:
        await runner.cleanup()
