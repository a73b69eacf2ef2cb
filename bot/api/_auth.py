"""Who is pushing: a bearer token acting for its own source, within its request budget."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from bot.api._problems import ApiProblem
from bot.api._state import ApiState
from bot.api._webhooks import verify_signed
from storage.publishing import Source
from storage.sources import SourceRecord
from storage.tokens import TokenRecord

#: Sent with every 401, as RFC 6750 asks of a bearer-token API.
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="briefbot"'}


@dataclass(frozen=True)
class Pusher:
    """An authorized request: the token, its source, and the actor history will name."""

    token: TokenRecord
    source: SourceRecord

    @property
    def actor(self) -> Source:
        """The actor publishing: the source by name, labelled by the token's label."""
        return Source(self.source.name, self.token.label or self.source.shown)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(
            401,
            "send the source's token as 'Authorization: Bearer <token>' "
            "(python -m bot token create --source NAME prints one)",
            headers=CHALLENGE,
        )
    return secret.strip()


async def authorize(request: Request, source: str) -> Pusher:
    """Check the token, that it acts for `source`, its budget, and a signed source's signature.

    Nothing is parsed or stored before this passes; the raw body is read here only for a
    source whose pushes must be signed. The token, its source and the source's secret are
    read in one query; a token's source always exists (removing a source removes its tokens).
    """
    state = ApiState.of(request)
    found = await state.storage.tokens.authenticate(_bearer(request))
    if found is None:
        raise ApiProblem(
            401, "this token is unknown or revoked; create a new one", headers=CHALLENGE
        )
    token = found.token
    if token.source != source:
        raise ApiProblem(403, f"this token acts for source {token.source!r} only, not {source!r}")
    wait = state.rate_limiter.take(token.id)
    if wait is not None:
        state.metrics.rate_limited.inc()
        raise ApiProblem(
            429,
            f"too many requests for this token; retry in {wait:.1f} s",
            headers={"Retry-After": state.rate_limiter.retry_after(wait)},
        )
    if found.webhook_secret is not None:
        body = await request.body()
        await verify_signed(found.webhook_secret, source, request.headers, body, state.replays)
    return Pusher(token, found.source)
