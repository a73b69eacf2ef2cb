"""Serving the API in our own event loop: uvicorn's server, started and stopped by us.

uvicorn's `serve()` would take over SIGINT and SIGTERM and exit the process when it cannot
listen; here the command line keeps the signals (a stop cancels the command as for `run`),
and the socket is bound first, so a taken port is an error we word.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

#: Seconds requests in progress get to finish once the server is told to stop.
GRACEFUL_STOP = 1


def bind(host: str, port: int) -> socket.socket:
    """Open the listening socket (port 0: any free one).

    The protocol is named, not left 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only
    on sockets whose protocol is TCP, and with it on, an answer written in two parts (headers,
    then body) waits for the client's delayed ACK, 40 ms a request on Linux.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class ApiServer:
    """One app served on one socket until `stop`."""

    def __init__(self, app: FastAPI, sock: socket.socket) -> None:
        self.socket = sock
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_STOP,
        )
        self._server = uvicorn.Server(config)
        self._ticks: asyncio.Task[None] | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Return the host and port it listens on (the port chosen when asked for 0)."""
        host, port = self.socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:8080."""
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def start(self) -> None:
        """Accept connections; uvicorn's ticks (its Date header, its limits) run beside."""
        server = self._server
        server.config.load()
        server.lifespan = server.config.lifespan_class(server.config)
        await server.startup(sockets=[self.socket])
        self._ticks = asyncio.create_task(server.main_loop(), name="api-ticks")

    async def stop(self) -> None:
        """Stop accepting, let requests in progress finish briefly, and close the socket."""
        self._server.should_exit = True
        if self._ticks is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticks
        if self._server.started:
            await self._server.shutdown(sockets=[self.socket])
        self.socket.close()


@contextlib.asynccontextmanager
async def serving(app: FastAPI, host: str, port: int) -> AsyncIterator[ApiServer]:
    """Serve an app on host:port for the duration of a block, stopping it however it ends."""
    server = ApiServer(app, bind(host, port))
    try:
        await server.start()
        yield server
    finally:
        await asyncio.shield(server.stop())
