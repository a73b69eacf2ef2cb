"""A second delivery process for the reliability tests: claims auto-posts in a shared database.

    python -m tests.reliability.claimer --db FILE --guild G --channel C --briefs 1,2,3
        [--go FILE] [--hang]

Prints the brief ids it won as one JSON line. With `--go` it first prints `ready` and waits
for that file to appear (a start line for racing another process); with `--hang` it then
stays "sending" until killed, as a process that dies between claiming and recording.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from storage.post_log import PostLog
from storage.sqlite.backend import SqliteDatabase
from storage.subscriptions import Subscriptions


def wait_for(path: Path) -> None:
    """Block until the file exists: the start line of a race."""
    while not path.exists():
        time.sleep(0.001)


async def claim(args: argparse.Namespace) -> None:
    """Claim each brief for the guild, report the winners, then hang if asked to."""
    db = await SqliteDatabase.open(args.db)
    try:
        post_log = PostLog(db)
        subscription = await Subscriptions(db).first(args.guild)
        assert subscription is not None
        assert subscription.channel_id == args.channel
        if args.go is not None:
            print("ready", flush=True)
            await asyncio.to_thread(wait_for, args.go)
        briefs = [int(part) for part in args.briefs.split(",")]
        won = [brief for brief in briefs if await post_log.claim(subscription, brief)]
        print(json.dumps(won), flush=True)
        if args.hang:
            await asyncio.Event().wait()
    finally:
        await db.close()


def main() -> None:
    """Parse the command line and claim."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--guild", type=int, required=True)
    parser.add_argument("--channel", type=int, required=True)
    parser.add_argument("--briefs", required=True)
    parser.add_argument("--go", type=Path)
    parser.add_argument("--hang", action="store_true")
    asyncio.run(claim(parser.parse_args()))


if __name__ == "__main__":
    main()
