"""Fetching feeds from real local servers: conditional requests, statuses, redirects, refusals
of non-public addresses (before any request), size caps on decompressed bodies, timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import re
import socket
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.feeds import _guard
from bot.feeds._fetch import ACCEPT, Fetcher, max_age, retry_after
from bot.feeds._guard import AddressRefused, GuardedResolver, UrlRefused, check_url
from bot.feeds._model import FetchOutcome

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FEED = b"<rss version='2.0'><channel><title>Harbour News</title></channel></rss>"


class FeedServer:
    """A local web server whose routes a test sets; it records every request it gets."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.requests: list[web.Request] = []
        self.handlers: dict[str, Handler] = {}
        #: Set when the server stops, so slow and endless handlers end.
        self.stopping = asyncio.Event()
        app = web.Application()
        app.router.add_get("/{path:.*}", self._dispatch)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        return await self.handlers[request.path](request)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> str:
        self.handlers[path] = handler
        return self.url(path)

    def answer(self, path: str, status: int = 200, body: bytes = FEED, **headers: str) -> str:
        """Serve a fixed answer at `path` (header names with underscores for dashes)."""

        async def handler(request: web.Request) -> web.Response:
            named = {name.replace("_", "-"): value for name, value in headers.items()}
            return web.Response(status=status, body=body, headers=named)

        return self.route(path, handler)

    def redirect(self, path: str, to: str, status: int = 301) -> str:
        return self.answer(path, status, b"", Location=to)

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.stopping.set()
        await self._runner.cleanup()


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FeedServer]:
    started = FeedServer()
    await started.start()
    yield started
    await started.stop()


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(
        user_agent="briefbot/test (+https://example.org/bot)",
        allow_private=True,
        max_bytes=1_000_000,
        timeout=5.0,
        connect_timeout=2.0,
    ) as made:
        yield made


@pytest_asyncio.fixture
async def guarded() -> AsyncIterator[Fetcher]:
    """A fetcher as in production: private addresses refused."""
    async with Fetcher(user_agent="briefbot/test", timeout=5.0, connect_timeout=2.0) as made:
        yield made


async def test_ok_sends_our_headers_and_reads_validators(
    server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.answer(
        "/feed",
        body=FEED,
        ETag='"v1"',
        Last_Modified="Mon, 07 Dec 2026 06:00:00 GMT",
        Cache_Control="public, s-maxage=9, max-age=300",
        Content_Type="application/rss+xml",
    )

    fetched = await fetcher.fetch(url)

    assert fetched.outcome is FetchOutcome.OK
    assert (fetched.status, fetched.body, fetched.error) == (200, FEED, None)
    assert (fetched.etag, fetched.last_modified) == ('"v1"', "Mon, 07 Dec 2026 06:00:00 GMT")
    assert fetched.max_age == 300
    assert fetched.headers["content-type"] == "application/rss+xml"
    assert fetched.moved_to is None
    sent = server.requests[0].headers
    assert sent["User-Agent"] == "briefbot/test (+https://example.org/bot)"
    assert sent["Accept"] == ACCEPT
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert "If-None-Match" not in sent
    assert "If-Modified-Since" not in sent


async def test_etag_round_trip_is_not_modified(server: FeedServer, fetcher: Fetcher) -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"', "Cache-Control": "no-cache"})
        return web.Response(body=FEED, headers={"ETag": '"v1"'})

    url = server.route("/feed", handler)

    first = await fetcher.fetch(url)
    second = await fetcher.fetch(url, etag=first.etag)

    assert first.outcome is FetchOutcome.OK
    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert (second.status, second.body, second.etag, second.error) == (304, b"", '"v1"', None)
    assert second.max_age == 0
    assert server.requests[1].headers["If-None-Match"] == '"v1"'


async def test_last_modified_round_trip_keeps_validators_a_304_omits(
    server: FeedServer, fetcher: Fetcher
) -> None:
    stamp = "Mon, 07 Dec 2026 06:00:00 GMT"

    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return web.Response(status=304)
        return web.Response(body=FEED, headers={"Last-Modified": stamp})

    url = server.route("/feed", handler)

    first = await fetcher.fetch(url)
    second = await fetcher.fetch(url, etag='"kept"', last_modified=first.last_modified)

    assert (first.outcome, first.last_modified, first.etag) == (FetchOutcome.OK, stamp, None)
    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert (second.etag, second.last_modified) == ('"kept"', stamp)
    assert server.requests[1].headers["If-None-Match"] == '"kept"'


async def test_429_with_retry_after_in_seconds(server: FeedServer, fetcher: Fetcher) -> None:
    fetched = await fetcher.fetch(server.answer("/feed", 429, Retry_After="120"))

    assert fetched.outcome is FetchOutcome.RATE_LIMITED
    assert fetched.retry_after == 120
    assert fetched.error == "the server answered 429 Too Many Requests"


async def test_429_with_retry_after_as_a_date(server: FeedServer, fetcher: Fetcher) -> None:
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)

    fetched = await fetcher.fetch(server.answer("/feed", 429, Retry_After=later))

    assert fetched.outcome is FetchOutcome.RATE_LIMITED
    assert fetched.retry_after is not None
    assert 3000 < fetched.retry_after <= 3600


async def test_503_is_rate_limited_only_with_retry_after(
    server: FeedServer, fetcher: Fetcher
) -> None:
    limited = await fetcher.fetch(server.answer("/busy", 503, Retry_After="30"))
    down = await fetcher.fetch(server.answer("/down", 503))

    assert (limited.outcome, limited.retry_after) == (FetchOutcome.RATE_LIMITED, 30)
    assert (down.outcome, down.retry_after) == (FetchOutcome.TEMPORARY, None)
    assert down.error == "the server answered 503 Service Unavailable"


@pytest.mark.parametrize(
    ("status", "outcome", "error"),
    [
        (404, FetchOutcome.PERMANENT, "the server answered 404 Not Found"),
        (410, FetchOutcome.PERMANENT, "the server answered 410 Gone"),
        (403, FetchOutcome.PERMANENT, "the server answered 403 Forbidden"),
        (408, FetchOutcome.TEMPORARY, "the server answered 408 Request Timeout"),
        (500, FetchOutcome.TEMPORARY, "the server answered 500 Internal Server Error"),
        (502, FetchOutcome.TEMPORARY, "the server answered 502 Bad Gateway"),
    ],
)
async def test_error_statuses(
    server: FeedServer, fetcher: Fetcher, status: int, outcome: FetchOutcome, error: str
) -> None:
    fetched = await fetcher.fetch(server.answer("/feed", status, b"<html>oops</html>"))

    assert (fetched.outcome, fetched.status, fetched.error) == (outcome, status, error)
    assert fetched.body == b""


async def test_a_chain_of_permanent_redirects_moves_the_feed(
    server: FeedServer, fetcher: Fetcher
) -> None:
    start = server.redirect("/old", "/older-still", 301)
    server.redirect("/older-still", server.url("/feed"), 308)
    server.answer("/feed")

    fetched = await fetcher.fetch(start)

    assert fetched.outcome is FetchOutcome.OK
    assert fetched.body == FEED
    assert fetched.url == start
    assert fetched.moved_to == server.url("/feed")
    assert [request.path for request in server.requests] == ["/old", "/older-still", "/feed"]


async def test_a_temporary_redirect_moves_nothing(server: FeedServer, fetcher: Fetcher) -> None:
    server.answer("/feed")
    alone = await fetcher.fetch(server.redirect("/now", "/feed", 302))
    mixed = await fetcher.fetch(server.redirect("/old", "/now", 301))

    assert (alone.outcome, alone.moved_to) == (FetchOutcome.OK, None)
    assert (mixed.outcome, mixed.moved_to) == (FetchOutcome.OK, None)


async def test_a_redirect_without_a_location_is_permanent(
    server: FeedServer, fetcher: Fetcher
) -> None:
    fetched = await fetcher.fetch(server.answer("/nowhere", 302, b""))

    assert (fetched.outcome, fetched.status) == (FetchOutcome.PERMANENT, 302)
    assert fetched.error == "the server answered 302 Found without a Location to follow"


async def test_a_redirect_loop_is_temporary(server: FeedServer, fetcher: Fetcher) -> None:
    start = server.redirect("/a", "/b")
    server.redirect("/b", "/a")

    fetched = await fetcher.fetch(start)

    assert fetched.outcome is FetchOutcome.TEMPORARY
    assert fetched.error == f"a redirect loop: {server.url('/b')} leads back to {start}"
    assert len(server.requests) == 2


async def test_too_many_redirects(server: FeedServer, fetcher: Fetcher) -> None:
    for hop in range(6):
        server.redirect(f"/{hop}", f"/{hop + 1}", 301)
    server.answer("/6")

    five = await fetcher.fetch(server.url("/1"))
    six = await fetcher.fetch(server.url("/0"))

    assert (five.outcome, five.moved_to) == (FetchOutcome.OK, server.url("/6"))
    assert (six.outcome, six.moved_to) == (FetchOutcome.TEMPORARY, None)
    assert six.error == "too many redirects (6)"


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("http://127.0.0.1:{port}/feed", r"refused: 127\.0\.0\.1 is a loopback address$"),
        ("http://[::1]:{port}/feed", r"refused: ::1 is a loopback address$"),
        (
            "http://[::ffff:127.0.0.1]:{port}/feed",
            r"refused: ::ffff:7f00:1 is a loopback address \(127\.0\.0\.1 inside IPv6\)$",
        ),
        ("http://localhost:{port}/feed", r"refused: localhost resolves to .*a loopback address"),
        ("http://10.0.0.5:{port}/feed", r"refused: 10\.0\.0\.5 is a private address$"),
        ("http://169.254.169.254/latest/", r"refused: 169\.254\.169\.254 is a metadata service"),
        ("http://2130706433:{port}/", r"refused: 2130706433 is not an IP address written the"),
        ("ftp://127.0.0.1:{port}/feed", r"refused: ftp:// is not fetched"),
        ("file:///etc/passwd", r"refused: file:// is not fetched"),
    ],
)
async def test_refused_before_any_request(
    server: FeedServer, guarded: Fetcher, template: str, error: str
) -> None:
    url = template.format(port=server.port)
    server.answer("/feed")

    fetched = await guarded.fetch(url)

    assert fetched.outcome is FetchOutcome.REFUSED
    assert fetched.url == url
    assert fetched.error is not None
    assert re.match(error, fetched.error)
    assert fetched.status is None
    assert server.requests == []


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/feed", "http://localhost:{port}/x"])
async def test_a_redirect_to_a_private_address_is_refused(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """127.0.0.2 plays a public server (the rule is patched for it alone); it redirects to the
    loopback server on 127.0.0.1, by literal and by name, which must never be asked."""
    real = _guard.address_problem
    public = ipaddress.ip_address("127.0.0.2")
    monkeypatch.setattr(
        _guard, "address_problem", lambda address: None if address == public else real(address)
    )
    outside = FeedServer("127.0.0.2")
    await outside.start()
    try:
        start = outside.redirect("/feed", target.format(port=server.port))
        server.answer("/feed")
        server.answer("/x")
        async with Fetcher(user_agent="briefbot/test", timeout=5.0) as guarded:
            fetched = await guarded.fetch(start)
    finally:
        await outside.stop()

    assert fetched.outcome is FetchOutcome.REFUSED
    assert fetched.error is not None
    assert fetched.error.startswith("refused: ")
    assert "loopback address" in fetched.error
    assert len(outside.requests) == 1
    assert server.requests == []


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def gzip_bomb(megabytes: int = 1024) -> bytes:
    """`megabytes` MB of zeros gzipped (about 1 kB per MB): each MB after a full flush
    compresses to the same bytes, so it is compressed once and repeated."""
    zeros = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    return head + block * (megabytes - 1) + packer.flush()


async def test_gzip_and_deflate_bodies_are_decoded(server: FeedServer, fetcher: Fetcher) -> None:
    gzipped = server.answer("/gzip", body=_gzip(FEED), Content_Encoding="gzip")
    deflated = server.answer("/deflate", body=zlib.compress(FEED), Content_Encoding="deflate")

    for url in (gzipped, deflated):
        fetched = await fetcher.fetch(url)
        assert (fetched.outcome, fetched.body) == (FetchOutcome.OK, FEED)


async def test_a_gzip_bomb_stops_at_the_cap(server: FeedServer) -> None:
    """1 GB of zeros in 1 MB of gzip: under the cap as sent, so only the running total of the
    body decompressed as it streams stops it."""
    bomb = gzip_bomb()
    url = server.answer("/bomb", body=bomb, Content_Encoding="gzip")

    tracemalloc.start()
    try:
        async with Fetcher(user_agent="briefbot/test", allow_private=True) as fetcher:
            fetched = await fetcher.fetch(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(bomb) < 1_100_000
    assert fetched.outcome is FetchOutcome.TOO_LARGE
    assert (fetched.body, fetched.status) == (b"", 200)
    assert fetched.error == "the body is over 5 MB"
    assert peak < 40_000_000


async def test_a_body_that_does_not_decode_is_temporary(
    server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.answer("/broken", body=b"not gzip at all" * 10, Content_Encoding="gzip")

    fetched = await fetcher.fetch(url)

    assert fetched.outcome is FetchOutcome.TEMPORARY
    assert fetched.error is not None
    assert fetched.error.startswith("the body from 127.0.0.1 broke off or could not be decoded")


def endless(server: FeedServer, chunk: bytes, pause: float = 0.0) -> Handler:
    """A handler writing `chunk` until the client leaves or the server stops."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            while not server.stopping.is_set():
                await response.write(chunk)
                await asyncio.sleep(pause)
        return response

    return handler


async def test_a_huge_plain_body_is_too_large(server: FeedServer, fetcher: Fetcher) -> None:
    fetched = await fetcher.fetch(server.route("/huge", endless(server, b"x" * 65536)))

    assert fetched.outcome is FetchOutcome.TOO_LARGE
    assert fetched.error == "the body is over 1 MB"


async def test_a_declared_length_over_the_cap_is_not_read(
    server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.answer("/big", body=b"x" * 1_000_001)

    fetched = await fetcher.fetch(url)

    assert (fetched.outcome, fetched.body) == (FetchOutcome.TOO_LARGE, b"")
    assert fetched.headers["content-length"] == "1000001"


async def test_a_body_at_the_cap_is_whole(server: FeedServer, fetcher: Fetcher) -> None:
    body = b"x" * 1_000_000

    fetched = await fetcher.fetch(server.answer("/full", body=_gzip(body), Content_Encoding="gzip"))

    assert (fetched.outcome, fetched.body) == (FetchOutcome.OK, body)


async def test_a_slow_server_times_out(server: FeedServer) -> None:
    async def slow(request: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.stopping.wait(), 10)
        return web.Response(body=FEED)

    async with Fetcher(user_agent="briefbot/test", allow_private=True, timeout=0.2) as fetcher:
        silent = await fetcher.fetch(server.route("/slow", slow))
        trickle = await fetcher.fetch(server.route("/drip", endless(server, b"<", pause=0.02)))

    for fetched in (silent, trickle):
        assert fetched.outcome is FetchOutcome.TEMPORARY
        assert fetched.error == "timed out after 0.2 s"


async def test_dns_and_connection_failures_are_temporary(fetcher: Fetcher) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    closed = await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
    nowhere = await fetcher.fetch("http://feeds.briefbot.invalid/feed")

    assert closed.outcome is FetchOutcome.TEMPORARY
    assert closed.error is not None
    assert closed.error.startswith("could not connect to 127.0.0.1")
    assert nowhere.outcome is FetchOutcome.TEMPORARY
    assert nowhere.error == "DNS lookup failed for feeds.briefbot.invalid"


async def test_a_connection_that_never_opens_times_out() -> None:
    """A listening socket whose backlog is full never completes a new connection."""
    with contextlib.ExitStack() as sockets:
        listening = sockets.enter_context(socket.socket())
        listening.bind(("127.0.0.1", 0))
        listening.listen(0)
        port = listening.getsockname()[1]
        for _ in range(4):
            filler = sockets.enter_context(socket.socket())
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        async with Fetcher(
            user_agent="briefbot/test", allow_private=True, connect_timeout=0.2, timeout=5.0
        ) as fetcher:
            fetched = await fetcher.fetch(f"http://127.0.0.1:{port}/feed")

    assert fetched.outcome is FetchOutcome.TEMPORARY
    assert fetched.error == "could not connect to 127.0.0.1 within 0.2 s"


async def test_at_most_per_host_requests_at_once(server: FeedServer) -> None:
    active, most = 0, 0

    async def counted(request: web.Request) -> web.Response:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.02)
        active -= 1
        return web.Response(body=FEED)

    url = server.route("/feed", counted)
    async with Fetcher(user_agent="briefbot/test", allow_private=True, per_host=2) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(url) for _ in range(6)))

    assert {fetched.outcome for fetched in results} == {FetchOutcome.OK}
    assert len(server.requests) == 6
    assert most <= 2


async def test_validators_that_cannot_be_sent_are_left_out(
    server: FeedServer, fetcher: Fetcher
) -> None:
    url = server.answer("/feed")

    fetched = await fetcher.fetch(url, etag='"v1"\r\nX-Injected: 1', last_modified="Mon\n")

    assert fetched.outcome is FetchOutcome.OK
    assert "If-None-Match" not in server.requests[0].headers
    assert "If-Modified-Since" not in server.requests[0].headers
    assert "X-Injected" not in server.requests[0].headers


async def test_a_closed_fetcher_opens_a_new_session(server: FeedServer) -> None:
    url = server.answer("/feed")
    fetcher = Fetcher(user_agent="briefbot/test", allow_private=True)

    first = await fetcher.fetch(url)
    await fetcher.close()
    again = await fetcher.fetch(url)
    await fetcher.close()
    await fetcher.close()

    assert first.outcome is again.outcome is FetchOutcome.OK


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("max-age=60", 60),
        ('max-age="60"', 60),
        ("s-maxage=600", None),
        ("public, max-age=60, no-cache", 0),
        ("no-store", 0),
        ("max-age=soon", None),
    ],
)
def test_max_age(header: str | None, seconds: float | None) -> None:
    assert max_age(header) == seconds


def test_retry_after_forms() -> None:
    now = 1_800_000_000.0
    in_a_minute = email.utils.formatdate(now + 60, usegmt=True)
    past = email.utils.formatdate(now - 60, usegmt=True)

    assert retry_after("120", now=now) == 120
    assert retry_after(in_a_minute, now=now) == 60
    assert retry_after(past, now=now) == 0
    assert retry_after("soon", now=now) is None
    assert retry_after(None, now=now) is None


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.0.0.5", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12::1", "a private address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("169.254.169.254", "a metadata service address"),
        ("fd00:ec2::254", "a metadata service address"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("::ffff:10.0.0.5", "a private address (10.0.0.5 inside IPv6)"),
        ("64:ff9b::a9fe:a9fe", "a metadata service address (169.254.169.254 inside IPv6)"),
        ("2002:7f00:1::", "a loopback address (127.0.0.1 inside IPv6)"),
        ("::ffff:93.184.215.14", None),
    ],
)
def test_address_problem(address: str, problem: str | None) -> None:
    assert _guard.address_problem(ipaddress.ip_address(address)) == problem


def test_check_url() -> None:
    assert check_url("https://example.org/feed.xml", allow_private=False)
    assert check_url("http://10.0.0.5:8080/feed", allow_private=True)
    for url in ("gopher://example.org/", "example.org/feed", "http:///feed", "http://[::1/"):
        with pytest.raises(UrlRefused):
            check_url(url, allow_private=True)
    with pytest.raises(UrlRefused, match=r"^10\.0\.0\.5 is a private address$"):
        check_url("http://10.0.0.5/feed", allow_private=False)


class FixedResolver(AbstractResolver):
    """Answers every name with the addresses given (a rebinding DNS server's answer)."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> Any:
        return [
            ResolveResult(hostname=host, host=address, port=port, family=0, proto=0, flags=0)
            for address in self.addresses
        ]

    async def close(self) -> None:
        pass


async def test_the_resolver_keeps_public_addresses_only() -> None:
    mixed = GuardedResolver(allow_private=False, resolver=FixedResolver("10.0.0.5", "8.8.8.8"))
    private = GuardedResolver(allow_private=False, resolver=FixedResolver("127.0.0.1", "::1"))
    allowed = GuardedResolver(allow_private=True, resolver=FixedResolver("127.0.0.1"))

    assert [found["host"] for found in await mixed.resolve("feeds.example", 80)] == ["8.8.8.8"]
    with pytest.raises(AddressRefused) as refused:
        await private.resolve("feeds.example", 80)
    assert str(refused.value) == (
        "feeds.example resolves to 127.0.0.1, a loopback address; ::1, a loopback address"
    )
    assert [found["host"] for found in await allowed.resolve("feeds.example", 80)] == ["127.0.0.1"]
