"""`POST /v1/preview`: a dry run; whether a brief is valid, and what the bot would post for it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from bot.api._briefs import BRIEF_BODY, read_brief
from bot.api._problems import ApiProblem, Problem
from bot.ui.previews import as_sent, preview_payload

router = APIRouter(tags=["briefs"])


class Preview(BaseModel):
    """The validation result and, for a valid brief, its Discord message payloads."""

    valid: bool
    problem: str | None = None
    #: `brief` (as stored), `summary` (the posted message) and `article_pages` (More's pages).
    payloads: dict[str, Any] | None = None


@router.post(
    "/v1/preview",
    response_model=Preview,
    responses={
        413: {"model": Problem, "description": "The body is over 256 KiB."},
        415: {"model": Problem, "description": "Neither application/json nor text/plain."},
    },
    openapi_extra=BRIEF_BODY,
)
async def preview(request: Request) -> Preview:
    """Validate a brief and build the messages the bot would post; nothing is stored."""
    try:
        content = await read_brief(request)
    except ApiProblem as problem:
        if problem.status != 422:
            raise
        return Preview(valid=False, problem=problem.detail)
    return Preview(valid=True, payloads=as_sent(preview_payload(content)))
