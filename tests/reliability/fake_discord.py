"""A stand-in for Discord on 127.0.0.1, as far as a bot's start needs it, hanging where told.

The bot's start goes: log in (GET /users/@me, the application), open the database, sync
commands, ask for the gateway, connect to it, identify, and receive READY. `FakeDiscord`
answers each step until the phase it is told to hang at, where it accepts and never answers
(or, for "running", stays connected and silent), and sets `reached` when the bot gets there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSMsgType, web

PHASES = ("login", "database", "connecting", "running")

APP_ID = "100000000000000001"
USER = {
    "id": APP_ID,
    "username": "briefbot",
    "discriminator": "0",
    "avatar": None,
    "bot": True,
    "global_name": None,
}
APPLICATION = {
    "id": APP_ID,
    "name": "briefbot",
    "description": "",
    "icon": None,
    "bot_public": True,
    "bot_require_code_grant": False,
    "owner": USER,
    "verify_key": "0" * 64,
    "flags": 0,
}


def answer(data: Any) -> web.Response:
    """JSON as Discord sends it: discord.py wants exactly `application/json`, no charset."""
    return web.Response(
        body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


async def silence(reached: asyncio.Event) -> None:
    """Note that the bot got here, then never answer."""
    reached.set()
    await asyncio.Event().wait()


@contextlib.asynccontextmanager
async def hanging_server() -> AsyncIterator[tuple[int, asyncio.Event]]:
    """A TCP server that accepts and never says a word (a database that never answers)."""
    reached = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        reached.set()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], reached
    finally:
        for writer in held:
            writer.close()
        server.close()


class FakeDiscord:
    """Discord's REST API and gateway, hanging at one phase of the bot's start."""

    def __init__(self, hang_at: str) -> None:
        assert hang_at in PHASES
        self.hang_at = hang_at
        self.reached = asyncio.Event()
        self.port = 0

    @property
    def api_base(self) -> str:
        """What replaces discord.py's Route.BASE."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    async def users_me(self, _: web.Request) -> web.StreamResponse:
        if self.hang_at == "login":
            await silence(self.reached)
        return answer(USER)

    async def application(self, _: web.Request) -> web.StreamResponse:
        return answer(APPLICATION)

    async def commands(self, _: web.Request) -> web.StreamResponse:
        return answer([])

    async def gateway_bot(self, _: web.Request) -> web.StreamResponse:
        return answer(
            {
                "url": f"ws://127.0.0.1:{self.port}/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def gateway(self, request: web.Request) -> web.StreamResponse:
        if self.hang_at == "connecting":
            await silence(self.reached)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}, "s": None, "t": None})
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            if message.json().get("op") == 2:  # IDENTIFY
                await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": self.ready()})
                self.reached.set()
        return ws

    @staticmethod
    def ready() -> dict[str, Any]:
        return {
            "v": 10,
            "user": USER,
            "guilds": [],
            "session_id": "fake-session",
            "resume_gateway_url": "ws://127.0.0.1:1/",
            "shard": [0, 1],
            "application": {"id": APP_ID, "flags": 0},
        }

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[FakeDiscord]:
        """Listen on a free port until the block ends."""
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self.users_me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self.application)
        app.router.add_put(f"/api/v10/applications/{APP_ID}/commands", self.commands)
        app.router.add_get("/api/v10/gateway/bot", self.gateway_bot)
        app.router.add_get("/gateway", self.gateway)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        try:
            yield self
        finally:
            await runner.cleanup()
