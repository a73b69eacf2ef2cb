"""One bot process of a sharded deployment, for the two-process auto-post tests.

    python -m tests.reliability.shard_worker --db URL --guilds G1,G2,... --go FILE
        --expect N [--shard-count 2 --shard-ids 0] [--publish K]

Runs the real bot (built by `create_bot`) in simcord with these shards, and the same servers
(pinned ids, one #news channel each) that every worker builds, so channel ids agree across
processes. Prints `ready` and the world as JSON ({guild id: channel id}), waits for the go
file, publishes K briefs of its own the way `/brief add` does, delivers until the database
holds N briefs and none is pending for the servers it serves, then prints, as one JSON line,
the brief ids it posted in each server (read back from the simulated channels) and the
servers whose channels it sent any request about.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import simcord

from bot.app import BriefBot, create_bot
from bot.config import Settings
from storage.models import BriefContent
from tests.helpers import poster
from tests.reliability.claimer import wait_for

MORE = re.compile(r"brief:more:(\d+)")
DEADLINE_SECONDS = 60.0


def posted(bot: BriefBot, channel: simcord.ChannelHandle) -> list[int]:
    """Return the brief ids of the bot's posts in a channel, oldest first."""
    assert bot.user is not None
    ids: list[int] = []
    for message in channel.history():
        if message.author.id != bot.user.id:
            continue
        for row in message.components:
            for item in getattr(row, "children", []):
                match = MORE.fullmatch(getattr(item, "custom_id", None) or "")
                if match:
                    ids.append(int(match[1]))
    return ids


async def settled(bot: BriefBot, env: simcord.Env, expect: int) -> bool:
    """Say whether every brief exists and nothing is pending for the servers served here."""
    if await bot.storage.briefs.count() < expect:
        return False
    for settings in await bot.storage.guilds.active(bot.served_shards()):
        _, pending = await bot.storage.post_log.pending(settings, limit=0)
        if pending:
            return False
    return True


async def work(args: argparse.Namespace) -> None:
    """Build the bot with this process's shards and database; close the database at the end."""
    options: dict[str, Any] = {"shard_count": args.shard_count}
    if args.shard_ids:
        options["shard_ids"] = args.shard_ids
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=args.db, autopost_catchup_max=100, **options
    )
    bot = create_bot(settings)
    try:
        await deliver(bot, args)
    finally:
        await bot.storage.close()


async def deliver(bot: BriefBot, args: argparse.Namespace) -> None:
    """Run the bot in simcord through the whole scenario."""
    async with simcord.run(bot) as env:
        # Start the world on a whole second of the simulated clock: fresh snowflakes there are
        # the same in every process, whatever each one's start-up allocated before.
        now = env.now()
        whole = now.replace(microsecond=0) + timedelta(seconds=1)
        await env.advance_time((whole - now).total_seconds())
        channels = {}
        for guild_id in args.guilds:
            guild = env.create_guild(name=f"Server {guild_id}", id=guild_id)
            channels[guild_id] = guild.create_text_channel("news")
        await env.settle()
        world = {str(guild_id): channel.id for guild_id, channel in channels.items()}
        print("ready", json.dumps(world), flush=True)
        await asyncio.to_thread(wait_for, args.go)

        for n in range(args.publish):
            brief = await bot.storage.briefs.add(
                BriefContent(title=f"{args.name} brief {n}", what_happened="It happened.")
            )
            bot.dispatch("brief_published", brief)
        delivery = poster(bot)
        deadline = time.perf_counter() + DEADLINE_SECONDS
        while not await settled(bot, env, args.expect):
            if time.perf_counter() > deadline:
                raise TimeoutError("briefs still pending after the deadline")
            await delivery.run()
            await env.settle()
            await asyncio.sleep(0.05)
        await delivery.drain()
        await env.settle()
        posts = {str(guild_id): posted(bot, channel) for guild_id, channel in channels.items()}
        touched = {
            str(guild_id)
            for guild_id, channel in channels.items()
            for request in env.http_requests
            if f"/channels/{channel.id}" in request.path
        }
        print(json.dumps({"posts": posts, "touched": sorted(touched)}), flush=True)


def main() -> None:
    """Parse the command line and run one worker."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--name", default="worker")
    parser.add_argument("--guilds", required=True, type=lambda v: [int(p) for p in v.split(",")])
    parser.add_argument("--go", type=Path, required=True)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--publish", type=int, default=0)
    parser.add_argument("--shard-count", type=int, default=1)
    parser.add_argument("--shard-ids", type=lambda v: [int(p) for p in v.split(",")])
    asyncio.run(work(parser.parse_args()))


if __name__ == "__main__":
    main()
