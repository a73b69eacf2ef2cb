"""`GET /healthz` and `GET /metrics`: whether this process can serve, and what it has done."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from bot.api._state import ApiState
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.app import BriefBot

#: Sweeps missed in a row before a bot process counts as unhealthy.
SWEEPS_MISSED = 3
#: Seconds the database gets to answer a health check before it counts as unreachable.
DATABASE_TIMEOUT = 2.0

router = APIRouter()


class ShardHealth(BaseModel):
    """One gateway connection of the bot serving this API."""

    id: int
    connected: bool
    latency_seconds: float | None


class Health(BaseModel):
    """`ok` when the database answers and, in a bot process, every shard is connected and
    auto-posting's sweep ran lately (`last_sweep_at` None: not yet since the start)."""

    status: str
    database: bool
    shards: list[ShardHealth] | None = None
    last_sweep_at: datetime | None = None


def _shards(bot: BriefBot) -> list[ShardHealth]:
    shards = []
    for shard_id, shard in sorted(bot.shards.items()):
        latency = shard.latency
        shards.append(
            ShardHealth(
                id=shard_id,
                connected=not shard.is_closed(),
                latency_seconds=latency if latency == latency and latency != float("inf") else None,
            )
        )
    return shards


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database or a shard is down."}},
    tags=["operations"],
)
async def healthz(request: Request) -> JSONResponse:
    """Say whether the database answers (and, in a bot process, each shard's gateway)."""
    state = ApiState.of(request)
    try:
        await asyncio.wait_for(state.storage.schema_version(), DATABASE_TIMEOUT)
        database = True
    except Exception:  # any failure to answer is what this check reports
        database = False
    shards = _shards(state.bot) if state.bot is not None else None
    swept = state.bot.metrics.swept_at if state.bot is not None else None
    healthy = (
        database and all(shard.connected for shard in shards or []) and not _stale(state, swept)
    )
    health = Health(
        status="ok" if healthy else "unavailable",
        database=database,
        shards=shards,
        last_sweep_at=swept,
    )
    return JSONResponse(health.model_dump(mode="json"), status_code=200 if healthy else 503)


def _stale(state: ApiState, swept: datetime | None) -> bool:
    """Say whether the sweep missed SWEEPS_MISSED rounds in a row (a stuck bot)."""
    if swept is None:
        return False
    late = timedelta(seconds=state.settings.autopost_interval_seconds * SWEEPS_MISSED)
    return utcnow() - swept > late


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
    tags=["operations"],
)
async def metrics(request: Request) -> Response:
    """Serve the counters in Prometheus' text format: the API's, and in a bot process the
    bot's (deliveries, copy updates, queue depth, Discord's 429s, publish → first post)."""
    state = ApiState.of(request)
    text = generate_latest(state.metrics.registry)
    if state.bot is not None:
        text += generate_latest(state.bot.metrics.registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
