"""The body cap on a streamed body, and the rate limit's budget, with its clock given."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from bot.api._limits import BodyCap, RateLimiter


async def echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that reads the whole body, as a route parsing a brief does."""
    body = await Request(scope, receive).body()
    await PlainTextResponse(str(len(body)))(scope, receive, send)


async def call(app: BodyCap, chunks: list[bytes], headers: list[tuple[bytes, bytes]]):
    """Send one request through an ASGI app, body in chunks; return (status, body)."""
    messages: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "PUT", "path": "/", "headers": headers, "query_string": b""}
    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


async def test_a_streamed_body_is_counted_and_refused_past_the_cap():
    status, body = await call(BodyCap(echo_length, limit=10), [b"123456", b"78901"], [])
    assert status == 413
    assert json.loads(body)["detail"] == "the body is larger than 10 bytes; a brief is far smaller"


async def test_a_body_at_the_cap_passes():
    assert await call(BodyCap(echo_length, limit=10), [b"12345", b"67890"], []) == (200, b"10")


async def test_a_declared_length_over_the_cap_is_refused_unread():
    status, _ = await call(BodyCap(echo_length, limit=10), [b""], [(b"content-length", b"11")])
    assert status == 413


def test_a_token_spends_its_burst_then_waits_for_its_rate():
    now = [0.0]
    limiter = RateLimiter(burst=2, per_second=4.0, clock=lambda: now[0])
    assert limiter.take("a") is None
    assert limiter.take("a") is None
    assert limiter.take("a") == 0.25
    assert limiter.take("b") is None  # each token has its own budget
    now[0] = 0.25
    assert limiter.take("a") is None
    assert RateLimiter.retry_after(0.25) == "1"
    assert RateLimiter.retry_after(2.1) == "3"
