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
import os
import re
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import simcord

from bot.app import BriefBot, create_bot
from bot.config import Settings
from storage.models import BriefContent
from storage.publishing import CLI
from tests.helpers import copy_keeper, poster
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
    """Say whether every brief exists and nothing is pending or unsent for the servers served
    here (an unsent claim being one a killed process left behind)."""
    if await bot.storage.briefs.count() < expect:
        return False
    post_log = bot.storage.post_log
    for settings in await bot.storage.subscriptions.active(bot.served_shards()):
        _, pending = await post_log.pending(settings, limit=0)
        if pending or await post_log.unsent(settings.channel_id, stale_after=timedelta(0)):
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
        if args.kill_after_send:
            die_after_first_post(bot, env)
        await asyncio.to_thread(wait_for, args.go)

        for n in range(args.publish):
            await bot.storage.publisher.publish(
                BriefContent(
                    title=f"{args.name} brief {n}", what_happened="It happened.", topics=["news"]
                ),
                by=CLI,
            )
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
        nonces = [
            r.json.get("nonce")
            for r in env.http_requests
            if r.method == "POST" and r.path.endswith("/messages") and isinstance(r.json, dict)
        ]
        print(
            json.dumps({"posts": posts, "touched": sorted(touched), "nonces": nonces}), flush=True
        )
        if args.go2 is not None:
            await correct(bot, env, channels, args)


def die_after_first_post(bot: BriefBot, env: simcord.Env) -> None:
    """Be killed (SIGKILL) the moment Discord has answered the first post: sent, not recorded.

    Prints the post's nonce first, as one JSON line `{"sent": nonce}`.
    """
    request = bot.http.request

    async def request_then_die(route: Any, **kwargs: Any) -> Any:
        answer = await request(route, **kwargs)
        if route.method == "POST" and route.path == "/channels/{channel_id}/messages":
            print(json.dumps({"sent": kwargs["json"].get("nonce")}), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return answer

    bot.http.request = request_then_die  # type: ignore[method-assign]


FOOTER = re.compile(r"Brief #(\d+)")


async def correct(
    bot: BriefBot, env: simcord.Env, channels: dict[int, simcord.ChannelHandle], args: Any
) -> None:
    """Second phase: after the go2 file, the worker with --correct edits one brief and retracts
    another; every worker brings the copies of the servers it serves up to date, then prints
    what each server's channel shows: {guild: {brief id: title}} and the edits it made."""
    await asyncio.to_thread(wait_for, args.go2)
    before = len(env.http_requests)
    briefs = bot.storage.briefs
    if args.correct:
        publisher = bot.storage.publisher
        await publisher.correct(
            args.edit,
            BriefContent(title="Corrected title", what_happened="It happened otherwise."),
            by=CLI,
            note="The first version had the wrong facts.",
        )
        await publisher.retract(args.retract, by=CLI, reason="Not true after all.")
    keeper = copy_keeper(bot)
    served = [g.guild_id for g in await bot.storage.subscriptions.active(bot.served_shards())]
    deadline = time.perf_counter() + DEADLINE_SECONDS
    while True:
        await keeper.run()
        await env.settle()
        done = (await briefs.get(args.retract) is None) and (
            (edited_now := await briefs.get(args.edit)) is not None
            and edited_now.updated_at is not None
        )
        behind = [await bot.storage.copies.behind(g) for g in served]
        if done and not any(behind):
            break
        if time.perf_counter() > deadline:
            raise TimeoutError(f"copies still behind after the deadline: {behind}")
        await asyncio.sleep(0.05)
    shows: dict[str, dict[str, str | None]] = {}
    for guild_id, channel in channels.items():
        shown: dict[str, str | None] = {}
        for message in channel.history():
            if message.author.id == bot.user.id and message.embeds:  # type: ignore[union-attr]
                footer = FOOTER.search(message.embeds[0].footer.text or "")
                if footer:
                    shown[footer[1]] = message.embeds[0].title
        shows[str(guild_id)] = shown
    edits = [
        r.path for r in env.http_requests[before:] if r.method == "PATCH" and "/messages/" in r.path
    ]
    print(json.dumps({"shows": shows, "edits": edits}), flush=True)


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
    parser.add_argument(
        "--kill-after-send", action="store_true", help="SIGKILL self once the first post is sent"
    )
    parser.add_argument("--go2", type=Path, help="then correct: wait for this file")
    parser.add_argument("--edit", type=int, default=0, help="the brief edited in phase two")
    parser.add_argument("--retract", type=int, default=0, help="the brief retracted in phase two")
    parser.add_argument("--correct", action="store_true", help="this worker makes both changes")
    asyncio.run(work(parser.parse_args()))


if __name__ == "__main__":
    main()
