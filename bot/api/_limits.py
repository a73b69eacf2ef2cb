"""Abuse limits: a cap on request bodies and a request budget per token."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api._problems import problem_response

#: Bytes a request body may have: a brief is at most a few KiB; anything near this is a mistake.
BODY_CAP = 256 * 1024
#: Requests a token may make in a burst, and per second after it.
RATE_BURST = 60
RATE_PER_SECOND = 10.0


class BodyTooLarge(Exception):
    """A body grew past the cap while it was read (no Content-Length, or a false one)."""


class BodyCap:
    """Refuse bodies over `limit` bytes with 413 before any route reads them.

    A declared Content-Length over the cap is refused at once; a body streamed without one
    is counted as it arrives, so nothing past the cap is ever buffered.
    """

    def __init__(self, app: ASGIApp, limit: int = BODY_CAP) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"the body is larger than {self.limit} bytes; a brief is far smaller"
        await problem_response(413, detail)(scope, receive, send)


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """A token bucket per key (a token's id): `burst` at once, then `per_second`.

    The clock is injected: the event loop's time in the server, any function in a test.
    """

    burst: int = RATE_BURST
    per_second: float = RATE_PER_SECOND
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[object, _Bucket] = field(default_factory=dict)

    def take(self, key: object) -> float | None:
        """Spend one request of `key`'s budget; return None, or the seconds until one is left."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.per_second

    @staticmethod
    def retry_after(wait: float) -> str:
        """Return a Retry-After value: whole seconds, rounded up, at least one."""
        return str(max(1, math.ceil(wait)))
