"""`python -m bot api`: the HTTP API alone, without Discord, beside bots sharing the library."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.api import create_api, serving
from bot.cli.output import EXIT_FAILED, EXIT_OK
from bot.config import Settings
from storage.backends import open_storage, redact

log = logging.getLogger("bot.cli")


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
