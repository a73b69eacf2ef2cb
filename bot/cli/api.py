"""`python -m bot api`: the HTTP API alone, without Discord, beside bots sharing the library."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from bot.api import ApiServer, create_api, serving
from bot.cli.output import EXIT_FAILED, EXIT_OK
from bot.config import Settings
from storage.backends import open_storage, redact

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger("bot.cli")


class ApiListenError(Exception):
    """`run` could not listen where API_LISTEN says; the message says where and why."""


async def api(settings: Settings, host: str, port: int) -> int:
    """Serve the API on host:port until cancelled (Ctrl+C or SIGTERM), then close the library."""
    storage = await open_storage(settings.database)
    try:
        app = create_api(storage, settings)
        try:
            async with serving(app, host, port) as server:
                log.info("serving the API", extra={"url": server.url, "db": redact(storage.url)})
                print(f"serving the API on {server.url}", file=sys.stderr, flush=True)
                await asyncio.Event().wait()
        except OSError as exc:
            print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILED
    finally:
        await storage.close()
    return EXIT_OK


@contextlib.asynccontextmanager
async def beside(bot: BriefBot, settings: Settings) -> AsyncIterator[ApiServer | None]:
    """Serve the API in the bot's process while the block runs, if API_LISTEN asks for it.

    The bot must be logged in (its storage open): the API shares its library and reports its
    shards in /healthz.
    """
    address = settings.api_address
    if address is None:
        yield None
        return
    host, port = address
    async with contextlib.AsyncExitStack() as stack:
        try:
            app = create_api(bot.storage, settings, bot=bot)
            served = await stack.enter_async_context(serving(app, host, port))
        except OSError as exc:
            raise ApiListenError(
                f"API_LISTEN: cannot listen on {host}:{port}: {exc.strerror or exc}"
            ) from exc
        log.info("serving the API", extra={"url": served.url})
        yield served
