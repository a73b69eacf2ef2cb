"""A feed publisher on loopback for tests, the demo and the benchmark: feeds that change when
told, answering conditional requests as a well-behaved server does."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web


@dataclass
class Item:
    """One RSS item."""

    guid: str
    title: str
    summary: str
    content: str = ""
    link: str = ""
    categories: Sequence[str] = ()
    published: datetime = field(default_factory=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


def rss(items: Sequence[Item], *, title: str = "Harbour Gazette", ttl: int | None = None) -> bytes:
    """Write an RSS 2.0 feed of these items, newest first as given."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{escape(title)}</title><link>https://gazette.example/</link>",
        "<description>News from the harbour</description>",
    ]
    if ttl is not None:
        parts.append(f"<ttl>{ttl}</ttl>")
    for item in items:
        parts.append("<item>")
        parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        parts.append(f"<title>{escape(item.title)}</title>")
        parts.append(f"<description>{escape(item.summary)}</description>")
        if item.content:
            parts.append(f"<content:encoded><![CDATA[{item.content}]]></content:encoded>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        parts.extend(f"<category>{escape(c)}</category>" for c in item.categories)
        parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode()


@dataclass
class Served:
    """What one path answers: a body, or a status with headers."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer:
    """An aiohttp server on 127.0.0.1 serving feeds by path; ETag from the body's hash."""

    def __init__(self) -> None:
        self.paths: dict[str, Served] = {}
        #: Requests per path, and the headers of the last one.
        self.hits: dict[str, int] = {}
        self.last_headers: dict[str, dict[str, str]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str) -> str:
        """Return the full URL of a path."""
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes, **options: object) -> str:
        """Serve `body` at `path` from now on; return its URL."""
        self.paths[path] = Served(body, **options)  # type: ignore[arg-type]
        return self.url(path)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        self.last_headers[path] = dict(request.headers)
        served = self.paths.get(path)
        if served is None:
            return web.Response(status=404, text="no such feed")
        if served.status != 200:
            return web.Response(status=served.status, headers=served.headers)
        etag = '"' + hashlib.sha256(served.body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag, **served.headers})
        return web.Response(
            body=served.body,
            content_type=served.content_type,
            headers={"ETag": etag, **served.headers},
        )

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
