"""`/v1/sources/{source}/briefs/{external_id}`: a source's briefs, created, corrected, retracted."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bot.api._auth import authorize
from bot.api._problems import ApiProblem, documented
from bot.api._state import ApiState
from bot.brief.parsing import BriefParseError, parse_brief, parse_brief_json
from storage.errors import AlreadyReleasedError, ExternalRetractedError
from storage.models import CORRECTION_CHARS, Brief, BriefContent, Delivery
from storage.publishing import UpsertOutcome

router = APIRouter(prefix="/v1/sources/{source}/briefs", tags=["briefs"])

SourceName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="A source.")]
ExternalId = Annotated[
    str, Path(min_length=1, max_length=200, description="The brief's id in the source's CMS.")
]
Note = Annotated[str | None, Query(max_length=CORRECTION_CHARS)]

#: What the refusals look like, for the OpenAPI document.
REFUSALS: dict[int | str, dict[str, Any]] = {
    status: documented(why)
    for status, why in {
        401: "No token, or an unknown or revoked one (or a bad webhook signature).",
        403: "The token acts for another source.",
        404: "No such source, or no brief by that external id.",
        409: "The brief was retracted (a retraction is final), or a webhook replayed.",
        413: "The body is over 256 KiB.",
        415: "The body is neither application/json nor text/plain.",
        422: "The brief is not valid; `detail` names the field.",
        429: "Over the token's rate limit; see Retry-After.",
    }.items()
}


def brief_schema() -> dict[str, Any]:
    """The JSON brief as docs/brief-format.md reads it: BriefContent's schema, with a title
    optional (WHAT HAPPENED's first sentence when there is none)."""
    schema = BriefContent.model_json_schema()
    schema["required"] = [name for name in schema.get("required", []) if name != "title"]
    return schema


#: The body PUT takes: the JSON of docs/brief-format.md, or the text format as written.
BRIEF_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": brief_schema()},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


class ChannelDelivery(BaseModel):
    """The brief in one subscribed channel: posted (with its message), waiting, or refused."""

    guild_id: int
    channel_id: int
    state: Literal["posted", "waiting", "refused", "skipped"]
    #: The posted message's link.
    message: str | None = None
    #: Why Discord or the channel refused it.
    reason: str | None = None
    #: `retracted`, or `gone`/`unreachable` once the copy can no longer be kept right.
    copy_state: str | None = None

    @classmethod
    def of(cls, record: Delivery) -> ChannelDelivery:
        """Say what one post log row means for a CMS."""
        state: Literal["posted", "waiting", "refused", "skipped"] = "waiting"
        message = None
        if record.message_id is not None:
            state = "posted"
            where = record.thread_id or record.channel_id
            message = f"https://discord.com/channels/{record.guild_id}/{where}/{record.message_id}"
        elif record.skipped:
            state = "skipped"
        elif record.rejected_at is not None and not record.retrying:
            state = "refused"
        return cls(
            guild_id=record.guild_id,
            channel_id=record.channel_id,
            state=state,
            message=message,
            reason=record.rejected_reason if state == "refused" else None,
            copy_state=record.copy_state,
        )


class BriefAnswer(BaseModel):
    """The source's brief as stored, and what this request did to it (GET: its delivery)."""

    outcome: UpsertOutcome | None = None
    source: str
    external_id: str
    brief: Brief
    delivery: list[ChannelDelivery] | None = None


async def read_brief(request: Request) -> BriefContent:
    """Parse the body as one brief: the text format for text/plain, else JSON."""
    settings = ApiState.of(request).settings
    body = await request.body()
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        if kind == "text/plain":
            return parse_brief(
                body,
                strip_patterns=settings.brief_strip_patterns,
                max_chars=settings.brief_max_chars,
            )
        if kind not in ("application/json", ""):
            raise ApiProblem(415, "send the brief as application/json or text/plain")
        briefs = parse_brief_json(body, max_chars=settings.brief_max_chars)
    except BriefParseError as exc:
        raise ApiProblem(422, f"the brief is not valid: {exc}") from None
    if len(briefs) != 1:
        raise ApiProblem(422, "send one brief object per request, not a list")
    return briefs[0]


def answer(source: str, external_id: str, brief: Brief, outcome: UpsertOutcome | None) -> Any:
    return BriefAnswer(outcome=outcome, source=source, external_id=external_id, brief=brief)


@router.put(
    "/{external_id}",
    response_model=BriefAnswer,
    responses={201: {"model": BriefAnswer, "description": "Created and published."}, **REFUSALS},
    openapi_extra=BRIEF_BODY,
)
async def put_brief(
    request: Request, source: SourceName, external_id: ExternalId, correction: Note = None
) -> JSONResponse:
    """Create the source's brief, or correct every posted copy; the same content is a no-op.

    A `release_at` ahead holds the brief until then, invisible to members; sent again, a
    held brief takes the new time, or without one (or one passed) is released now.
    """
    pusher = await authorize(request, source)
    content = await read_brief(request)
    publisher = ApiState.of(request).storage.publisher
    try:
        upsert = await publisher.upsert(pusher.actor, external_id, content, correction=correction)
    except ExternalRetractedError as exc:
        raise ApiProblem(
            409,
            f"brief #{exc.brief_id} under this external id was retracted, which is final; "
            "publish it under a new external id",
        ) from None
    except AlreadyReleasedError as exc:
        raise ApiProblem(
            409,
            f"brief #{exc.brief_id} under this external id is already released, so it cannot "
            "be held until a later release_at; send it without one (or retract it)",
        ) from None
    ApiState.of(request).metrics.briefs.labels(source, upsert.outcome.value).inc()
    status = 201 if upsert.outcome is UpsertOutcome.CREATED else 200
    body = answer(source, external_id, upsert.brief, upsert.outcome)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


@router.get("/{external_id}", response_model=BriefAnswer, responses=REFUSALS)
async def get_brief(request: Request, source: SourceName, external_id: ExternalId) -> Any:
    """Return the source's brief as stored (a retracted one says when and why), and where
    it was posted, waits, or was refused."""
    await authorize(request, source)
    brief = await ApiState.of(request).storage.briefs.by_external(source, external_id)
    if brief is None:
        raise ApiProblem(404, f"source {source!r} has no brief {external_id!r}")
    records = await ApiState.of(request).storage.post_log.deliveries(brief.id)
    delivery = [ChannelDelivery.of(record) for record in records]
    return BriefAnswer(source=source, external_id=external_id, brief=brief, delivery=delivery)


@router.delete("/{external_id}", response_model=BriefAnswer, responses=REFUSALS)
async def delete_brief(
    request: Request, source: SourceName, external_id: ExternalId, reason: Note = None
) -> Any:
    """Retract the source's brief: every posted copy says it was retracted (and why)."""
    pusher = await authorize(request, source)
    publisher = ApiState.of(request).storage.publisher
    brief = await publisher.retract_external(pusher.actor, external_id, reason)
    if brief is None:
        raise ApiProblem(404, f"source {source!r} has no brief {external_id!r}")
    ApiState.of(request).metrics.briefs.labels(source, "retracted").inc()
    return answer(source, external_id, brief, None)
