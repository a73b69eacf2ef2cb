"""`POST /v1/sources/{source}/briefs` with an Idempotency-Key: a retry never publishes twice.

The IETF draft's rules: the same key and body answer the first response again; the same key
with another body is refused (422). The key also names the brief (external id
`idempotency-key:<key>`), so two requests racing with one key, or a retry after the server
died mid-request, still leave one brief: the unique (source, external id) decides.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from bot.api._auth import authorize
from bot.api._briefs import BRIEF_BODY, REFUSALS, BriefAnswer, SourceName, read_brief
from bot.api._problems import ApiProblem, documented
from bot.api._state import ApiState

router = APIRouter(prefix="/v1/sources/{source}/briefs", tags=["briefs"])

#: Where a POSTed brief's external id comes from: its Idempotency-Key, so it is created once.
KEY_PREFIX = "idempotency-key:"

Key = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def request_hash(request: Request, body: bytes) -> str:
    """Fingerprint what was asked: the body and the format it is in."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    return hashlib.sha256(kind.encode() + b"\n" + body).hexdigest()


@router.post(
    "",
    status_code=201,
    response_model=BriefAnswer,
    responses={
        400: documented("No Idempotency-Key header."),
        **REFUSALS,
    },
    openapi_extra=BRIEF_BODY,
)
async def post_brief(request: Request, source: SourceName, key: Key = None) -> JSONResponse:
    """Publish a brief once per Idempotency-Key; a retry answers the first response again."""
    pusher = await authorize(request, source)
    if not key:
        raise ApiProblem(
            400, "send an Idempotency-Key header (a fresh UUID per brief) so a retry is safe"
        )
    storage = ApiState.of(request).storage
    fingerprint = request_hash(request, await request.body())
    kept = await storage.idempotency.recall(pusher.token.id, key)
    if kept is None:
        content = await read_brief(request)
        external_id = KEY_PREFIX + key
        upsert = await storage.publisher.upsert(pusher.actor, external_id, content)
        ApiState.of(request).metrics.briefs.labels(source, upsert.outcome.value).inc()
        answer = BriefAnswer(
            outcome=upsert.outcome, source=source, external_id=external_id, brief=upsert.brief
        )
        body = json.dumps(answer.model_dump(mode="json"))
        kept = await storage.idempotency.remember(pusher.token.id, key, fingerprint, 201, body)
    if kept.request_hash != fingerprint:
        raise ApiProblem(
            422, "this Idempotency-Key was used for another body; use a new key per brief"
        )
    return JSONResponse(json.loads(kept.body), status_code=kept.status)
