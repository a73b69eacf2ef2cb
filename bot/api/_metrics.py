"""What Prometheus scrapes: a registry per app, so two apps in one process never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """The API's counters, in their own registry (`/metrics` serves it)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "briefbot_api_requests",
            "API requests answered, by status code.",
            ["status"],
            registry=self.registry,
        )
        self.briefs = Counter(
            "briefbot_api_briefs",
            "Briefs pushed, by source and outcome (created, corrected, unchanged, retracted).",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "briefbot_api_rate_limited",
            "Requests refused with 429 by the per-token rate limit.",
            registry=self.registry,
        )


class CountRequests:
    """Count every answered request by its status, refusals by the outer limits included."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.requests.labels(status=str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counted)
