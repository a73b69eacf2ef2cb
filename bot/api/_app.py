"""The API's app factory: routes by concern, problems for every refusal, limits outermost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.api import _briefs, _health, _posting, _preview
from bot.api._limits import BodyCap
from bot.api._metrics import CountRequests
from bot.api._problems import install_problem_handlers
from bot.api._state import ApiState
from bot.config import Settings
from storage.library import Storage

if TYPE_CHECKING:
    from bot.app import BriefBot

#: Where the OpenAPI document is served; no docs page (they load their assets from a CDN).
OPENAPI_URL = "/v1/openapi.json"


def create_api(storage: Storage, settings: Settings, *, bot: BriefBot | None = None) -> FastAPI:
    """Build the API over an open library; given a bot, its health reports the gateway too."""
    app = FastAPI(
        title="briefbot",
        version="1",
        summary="Push news briefs to every subscribed Discord channel.",
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    state = ApiState(storage, settings, bot)
    app.state.api = state
    install_problem_handlers(app)
    app.include_router(_health.router)
    app.include_router(_briefs.router)
    app.include_router(_posting.router)
    app.include_router(_preview.router)
    app.add_middleware(BodyCap)
    app.add_middleware(CountRequests, metrics=state.metrics)
    return app
