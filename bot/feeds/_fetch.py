"""Fetching a feed's URL politely and safely: conditional requests, redirects by hand, a size
cap on the decompressed body, timeouts, and an outcome (never an exception) for every failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import math
import time
from collections.abc import Mapping
from http import HTTPStatus
from types import TracebackType

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from bot.feeds._guard import AddressRefused, GuardedResolver, UrlRefused, check_url
from bot.feeds._model import Fetched, FetchOutcome

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
#: What aiohttp decompresses as the body streams in (brotli only with its package, not ours).
ACCEPT_ENCODING = "gzip, deflate"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
CHUNK_BYTES = 64 * 1024


class _Failed(Exception):
    """Ends a fetch early with a result (raised and caught inside `Fetcher.fetch` only)."""

    def __init__(self, fetched: Fetched) -> None:
        super().__init__(fetched.error)
        self.fetched = fetched


@dataclasses.dataclass(frozen=True)
class _Answer:
    """The last response of a fetch: its status, headers and (for a 2xx) body."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(count: int) -> str:
    for unit, name in ((1_000_000, "MB"), (1_000, "kB")):
        if count >= unit and count % unit == 0:
            return f"{count // unit} {name}"
    return f"{count} bytes"


def _answered(status: int) -> str:
    try:
        return f"the server answered {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"the server answered {status}"


def _sendable(value: str) -> bool:
    """Whether a stored validator can go back in a header (no control characters)."""
    return all(character == "\t" or " " <= character != "\x7f" for character in value)


def _lower_headers(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    """Headers by lower-case name; repeated ones joined with ", " as HTTP allows."""
    joined: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def max_age(cache_control: str | None) -> float | None:
    """Cache-Control's max-age in seconds (no-cache and no-store: 0; s-maxage is a proxy's)."""
    if not cache_control:
        return None
    found: float | None = None
    for directive in cache_control.split(","):
        name, _, value = directive.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return 0.0
        if name == "max-age" and value.strip().strip('"').isdigit():
            found = float(value.strip().strip('"'))
    return found


def retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After in seconds from now, from delta seconds or an HTTP date (never negative)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    delay = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, delay) if math.isfinite(delay) else None


def _outcome(status: int, headers: Mapping[str, str]) -> FetchOutcome:
    if 200 <= status < 300:
        return FetchOutcome.OK
    if status == 304:
        return FetchOutcome.NOT_MODIFIED
    if status == 429 or (status == 503 and retry_after(headers.get("retry-after")) is not None):
        return FetchOutcome.RATE_LIMITED
    if 400 <= status < 500 and status != 408:
        return FetchOutcome.PERMANENT
    if 300 <= status < 400:
        return FetchOutcome.PERMANENT
    return FetchOutcome.TEMPORARY


def _result(
    url: str,
    answer: _Answer,
    *,
    moved_to: str | None,
    etag: str | None,
    last_modified: str | None,
) -> Fetched:
    """The Fetched for a final (non-redirect) answer."""
    headers = answer.headers
    outcome = _outcome(answer.status, headers)
    if outcome is FetchOutcome.NOT_MODIFIED:
        etag = headers.get("etag", etag)
        last_modified = headers.get("last-modified", last_modified)
    else:
        etag, last_modified = headers.get("etag"), headers.get("last-modified")
    error = None
    if outcome not in (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED):
        error = _answered(answer.status)
        if 300 <= answer.status < 400:
            error += " without a Location to follow"
    return Fetched(
        outcome=outcome,
        url=url,
        status=answer.status,
        body=answer.body,
        headers=headers,
        moved_to=moved_to,
        etag=etag,
        last_modified=last_modified,
        max_age=max_age(headers.get("cache-control")),
        retry_after=(
            retry_after(headers.get("retry-after")) if answer.status in (429, 503) else None
        ),
        error=error,
    )


def _network_error(exc: aiohttp.ClientError, host: str, connect_timeout: float) -> Fetched:
    """What a network failure means for the feed (the URL is filled in by the caller)."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        if isinstance(exc.os_error, AddressRefused):
            return Fetched(FetchOutcome.REFUSED, "", error=f"refused: {exc.os_error}")
        return Fetched(FetchOutcome.TEMPORARY, "", error=f"DNS lookup failed for {host}")
    if isinstance(exc, aiohttp.InvalidURL):
        return Fetched(FetchOutcome.REFUSED, "", error=f"refused: {exc.url} is not a valid URL")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        message = f"could not connect to {host} within {_seconds(connect_timeout)}"
    elif isinstance(exc, aiohttp.ClientSSLError):
        message = f"the TLS handshake with {host} failed: {exc}"
    elif isinstance(exc, aiohttp.ClientConnectorError):
        message = f"could not connect to {host}: {exc.os_error.strerror or exc.os_error}"
    elif isinstance(exc, aiohttp.ClientPayloadError):
        message = f"the body from {host} broke off or could not be decoded: {exc}"
    elif isinstance(exc, aiohttp.ServerDisconnectedError):
        message = f"{host} closed the connection without an answer"
    else:
        message = f"the request to {host} failed: {exc}"
    return Fetched(FetchOutcome.TEMPORARY, "", error=message)


class Fetcher:
    """Fetches feed URLs through one aiohttp session, made in the loop that first fetches.

    Refuses non-public addresses (unless `allow_private`), follows at most `max_redirects`
    redirects checking each, stops a body (decompressed) over `max_bytes`, and gives up on a
    fetch after `timeout` seconds, redirects and the wait for a connection to the host included.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        allow_private: bool = False,
        max_bytes: int = 5_000_000,
        timeout: float = 20.0,
        connect_timeout: float = 10.0,
        per_host: int = 2,
        concurrency: int = 32,
        max_redirects: int = 5,
    ) -> None:
        self._user_agent = user_agent
        self._allow_private = allow_private
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._per_host = per_host
        self._concurrency = concurrency
        self._max_redirects = max_redirects
        self._session: aiohttp.ClientSession | None = None
        self._resolver: GuardedResolver | None = None

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session and its connections (a later fetch opens a new one)."""
        session, resolver = self._session, self._resolver
        self._session = self._resolver = None
        if session is not None:
            await session.close()
        if resolver is not None:
            await resolver.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._resolver = GuardedResolver(allow_private=self._allow_private)
            connector = aiohttp.TCPConnector(
                limit=self._concurrency, limit_per_host=self._per_host, resolver=self._resolver
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout),
                auto_decompress=True,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        """Fetch `url` once (conditionally when given validators); never raises for the
        network or the server: the outcome and `error` say what happened."""
        try:
            check_url(url, allow_private=self._allow_private)
        except UrlRefused as refused:
            return Fetched(FetchOutcome.REFUSED, url, error=f"refused: {refused}")
        headers = {
            "User-Agent": self._user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if etag is not None and _sendable(etag):
            headers["If-None-Match"] = etag
        if last_modified is not None and _sendable(last_modified):
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._timeout):
                answer, moved_to = await self._follow(URL(url), headers)
        except _Failed as failed:
            return dataclasses.replace(failed.fetched, url=url)
        except TimeoutError:
            return Fetched(
                FetchOutcome.TEMPORARY, url, error=f"timed out after {_seconds(self._timeout)}"
            )
        return _result(url, answer, moved_to=moved_to, etag=etag, last_modified=last_modified)

    async def _follow(self, start: URL, headers: Mapping[str, str]) -> tuple[_Answer, str | None]:
        """Request `start` and the redirects after it; the final answer and, when every
        redirect was permanent, where the feed moved."""
        session = self._client()
        current, seen, permanent = start, {str(start)}, True
        for hop in range(self._max_redirects + 2):
            answer, location = await self._request(session, current, headers)
            if location is None:
                return answer, str(current) if hop and permanent else None
            permanent = permanent and answer.status in PERMANENT_REDIRECTS
            current = self._next_hop(current, location, answer, hops=hop + 1, seen=seen)
        raise AssertionError("unreachable: _next_hop stops at max_redirects")

    def _next_hop(
        self, current: URL, location: str, answer: _Answer, *, hops: int, seen: set[str]
    ) -> URL:
        """Where a redirect leads, if it may be followed (else `_Failed` says why not)."""

        def fail(outcome: FetchOutcome, error: str) -> _Failed:
            return _Failed(
                Fetched(outcome, "", status=answer.status, headers=answer.headers, error=error)
            )

        try:
            target = current.join(URL(location))
        except ValueError:
            raise fail(FetchOutcome.TEMPORARY, f"a redirect to {location!r}, not a URL") from None
        if hops > self._max_redirects:
            raise fail(FetchOutcome.TEMPORARY, f"too many redirects ({hops})")
        if str(target) in seen:
            raise fail(FetchOutcome.TEMPORARY, f"a redirect loop: {current} leads back to {target}")
        try:
            check_url(str(target), allow_private=self._allow_private)
        except UrlRefused as refused:
            raise fail(
                FetchOutcome.REFUSED, f"refused: redirected to {target}: {refused}"
            ) from None
        seen.add(str(target))
        return target

    async def _request(
        self, session: aiohttp.ClientSession, target: URL, headers: Mapping[str, str]
    ) -> tuple[_Answer, str | None]:
        """One request: its answer (a 2xx's body read within the cap) and a redirect's Location."""
        try:
            async with session.get(target, headers=headers, allow_redirects=False) as response:
                found = _lower_headers(response.headers)
                location = None
                if response.status in REDIRECTS:
                    location = response.headers.get("Location")
                body = b""
                if 200 <= response.status < 300:
                    body = await self._read(response, found)
                return _Answer(response.status, found, body), location
        except aiohttp.ClientError as exc:
            host = target.host or str(target)
            raise _Failed(_network_error(exc, host, self._connect_timeout)) from exc

    async def _read(self, response: aiohttp.ClientResponse, headers: Mapping[str, str]) -> bytes:
        """The body, decompressed as it streams in, stopped as soon as it passes the cap."""
        too_large = _Failed(
            Fetched(
                FetchOutcome.TOO_LARGE,
                "",
                status=response.status,
                headers=headers,
                error=f"the body is over {_size(self._max_bytes)}",
            )
        )
        if response.content_length is not None and response.content_length > self._max_bytes:
            response.close()
            raise too_large
        chunks, total = [], 0
        async for chunk in response.content.iter_chunked(CHUNK_BYTES):
            total += len(chunk)
            if total > self._max_bytes:
                response.close()
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)
