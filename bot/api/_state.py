"""What every route is given: the library, the settings, the limits and, in a bot, the bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from fastapi import Request

from bot.api._limits import RateLimiter
from bot.api._metrics import Metrics
from bot.api._webhooks import ReplayGuard
from bot.config import Settings
from storage.library import Storage

if TYPE_CHECKING:
    from bot.app import BriefBot


@dataclass
class ApiState:
    """One API's shared objects, kept on the app (`app.state.api`)."""

    storage: Storage
    settings: Settings
    bot: BriefBot | None = None
    metrics: Metrics = field(default_factory=Metrics)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)

    @property
    def replays(self) -> ReplayGuard:
        """Return the webhook-ids seen, as every API process over the library shares them."""
        return ReplayGuard(self.storage.webhook_deliveries)

    @staticmethod
    def of(request: Request) -> ApiState:
        """Return the state of the app serving a request."""
        return cast(ApiState, request.app.state.api)
