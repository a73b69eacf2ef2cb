"""`python -m bot run` against a stand-in for Discord, for the stop and no-network tests.

    python -m tests.reliability.offline_bot API_BASE [--dns fail|hang]

API_BASE replaces discord.py's `Route.BASE` (https://discord.com/api/v10), so every REST call
goes to a local server the test controls. `--dns` replaces the system resolver: `fail` as on
a machine without network, `hang` as with an unreachable name server.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from typing import Any

import discord.http

from bot.cli import main


def _no_name_server(*_: Any, **__: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _silent_name_server(*_: Any, **__: Any) -> Any:
    time.sleep(3600)
    raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("api_base")
    parser.add_argument("--dns", choices=["fail", "hang"])
    args = parser.parse_args()
    discord.http.Route.BASE = args.api_base
    if args.dns == "fail":
        socket.getaddrinfo = _no_name_server
    elif args.dns == "hang":
        socket.getaddrinfo = _silent_name_server
    sys.exit(main(["run"]))
