"""Standard Webhooks: a source with a signing secret must sign each push, on the raw body.

The scheme (webhook-id, webhook-timestamp, webhook-signature; HMAC-SHA256; five minutes either
side of now) is the `standardwebhooks` package's; a replayed webhook-id is refused here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from standardwebhooks import Webhook, WebhookVerificationError

from bot.api._problems import ApiProblem
from storage.webhooks import WEBHOOK_ID_MAX, WebhookDeliveries

#: How long a webhook-id is remembered: the signature window on both sides of now.
REPLAY_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class ReplayGuard:
    """The webhook-ids seen in the last REPLAY_WINDOW, per source.

    Kept in the library (storage/webhooks.py), so every API process sharing the database
    refuses a replay, whichever of them saw the first delivery.
    """

    deliveries: WebhookDeliveries
    window: timedelta = REPLAY_WINDOW

    async def first_time(self, source: str, webhook_id: str) -> bool:
        """Record one delivery; return False when this id was already seen for this source."""
        return await self.deliveries.first_delivery(source, webhook_id, self.window)


async def verify_signed(
    secret: str, source: str, headers: Mapping[str, str], body: bytes, replays: ReplayGuard
) -> None:
    """Refuse (401) a push whose signature, timestamp or id is wrong, before it is parsed,
    and (409) one whose webhook-id was already delivered."""
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except WebhookVerificationError as exc:
        raise ApiProblem(
            401,
            f"source {source!r} signs its pushes (Standard Webhooks) and this one did not "
            f"verify: {exc}; sign the raw body with the source's secret, timestamp within "
            "five minutes",
        ) from None
    webhook_id = headers["webhook-id"]
    if len(webhook_id) > WEBHOOK_ID_MAX:
        raise ApiProblem(
            400, f"webhook-id is {len(webhook_id)} characters long; at most {WEBHOOK_ID_MAX}"
        )
    if not await replays.first_time(source, webhook_id):
        raise ApiProblem(409, f"webhook-id {webhook_id!r} was already delivered; send a new id")
