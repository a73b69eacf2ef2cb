"""`POST /v1/preview`: a dry run; whether a brief is valid, and what the bot would post for it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from bot.api._briefs import BRIEF_BODY, read_brief
from bot.api._problems import documented
from bot.ui.previews import as_sent, preview_payload

router = APIRouter(tags=["briefs"])


class Preview(BaseModel):
    """A valid brief's Discord message payloads (an invalid one is a 422 problem saying why)."""

    valid: bool = True
    #: `brief` (as stored), `summary` (the posted message) and `article_pages` (More's pages).
    payloads: dict[str, Any]


@router.post(
    "/v1/preview",
    response_model=Preview,
    responses={
        413: documented("The body is over 256 KiB."),
        415: documented("Neither application/json nor text/plain."),
        422: documented("The brief is not valid; `detail` says why."),
    },
    openapi_extra=BRIEF_BODY,
)
async def preview(request: Request) -> Preview:
    """Validate a brief and build the messages the bot would post; nothing is stored."""
    content = await read_brief(request)
    return Preview(payloads=as_sent(preview_payload(content)))
