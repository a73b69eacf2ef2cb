"""Standard Webhooks: a source with a signing secret must sign each push, on the raw body.

The scheme (webhook-id, webhook-timestamp, webhook-signature; HMAC-SHA256; five minutes either
side of now) is the `standardwebhooks` package's; a replayed webhook-id is refused here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from standardwebhooks import Webhook, WebhookVerificationError

from bot.api._problems import ApiProblem

#: Seconds a webhook-id is remembered: the signature window on both sides of now.
REPLAY_WINDOW = 10 * 60.0


@dataclass
class ReplayGuard:
    """The webhook-ids seen in the last REPLAY_WINDOW seconds, per source.

    Kept in this process's memory: a replay outside the timestamp window fails the signature
    check anyway, and within it reaches the process that saw the first delivery unless several
    API processes share one address (see docs/api.md).
    """

    window: float = REPLAY_WINDOW
    clock: Callable[[], float] = time.monotonic
    _seen: dict[tuple[str, str], float] = field(default_factory=dict)

    def first_time(self, source: str, webhook_id: str) -> bool:
        """Record one delivery; return False when this id was already seen for this source."""
        now = self.clock()
        if len(self._seen) > 1024:
            self._seen = {key: at for key, at in self._seen.items() if now - at < self.window}
        at = self._seen.get((source, webhook_id))
        if at is not None and now - at < self.window:
            return False
        self._seen[(source, webhook_id)] = now
        return True


def verify_signed(
    secret: str, source: str, headers: Mapping[str, str], body: bytes, replays: ReplayGuard
) -> None:
    """Refuse (401) a push whose signature, timestamp or id is wrong, before it is parsed."""
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except WebhookVerificationError as exc:
        raise ApiProblem(
            401,
            f"source {source!r} signs its pushes (Standard Webhooks) and this one did not "
            f"verify: {exc}; sign the raw body with the source's secret, timestamp within "
            "five minutes",
        ) from None
    if not replays.first_time(source, headers["webhook-id"]):
        raise ApiProblem(
            409, f"webhook-id {headers['webhook-id']!r} was already delivered; send a new id"
        )
