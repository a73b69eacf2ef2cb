"""The command line's subcommands for sources, tokens and feeds, described for argparse.

Each names the function that runs it (`set_defaults(func=...)`), given by bot.cli.main, which
imports a command's module only when it runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from bot.config import Settings

#: What a subcommand runs, chosen by the parser.
Command = Callable[[argparse.Namespace, Settings], int]
if TYPE_CHECKING:  # argparse's subparsers type is generic only to type checkers
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

DB_HELP = "database URL or SQLite file (default: DATABASE_URL, else DATABASE_PATH)"
REVIEW_HELP = "its new briefs wait as drafts for an editor's approval"


def add_source_commands(sub: Subcommands, *, source: Command, token: Command) -> None:
    """Describe `source add|list|review|remove` and `token create|list|revoke`."""
    sources = sub.add_parser("source", help="the sources that may push briefs through the API")
    sources.set_defaults(func=source)
    actions = sources.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a source (a name such as cms or wire)")
    add.add_argument("name")
    add.add_argument("--label", help="how /brief history shows it (default: its name)")
    add.add_argument(
        "--signed",
        action="store_true",
        help="its pushes must be signed webhooks: print the signing secret, once",
    )
    add.add_argument("--review", action="store_true", help=REVIEW_HELP)
    listed = actions.add_parser("list", help="list the sources")
    review = actions.add_parser("review", help="have a source's new briefs wait for an editor")
    review.add_argument("name")
    review.add_argument("state", choices=("on", "off"), help="on: they wait; off: they publish")
    remove = actions.add_parser("remove", help="remove a source and its tokens")
    remove.add_argument("name")
    tokens = sub.add_parser("token", help="the API tokens each source pushes with")
    tokens.set_defaults(func=token)
    verbs = tokens.add_subparsers(dest="action", required=True)
    create = verbs.add_parser("create", help="create a token; prints it alone, once")
    create.add_argument("--source", required=True, help="the source it acts for")
    create.add_argument("--label", help="who uses it, as history shows it")
    listing = verbs.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--source", help="only this source's")
    revoke = verbs.add_parser("revoke", help="refuse a token from its next request on")
    revoke.add_argument("id", type=int)
    for command in (add, listed, review, remove, create, listing, revoke):
        command.add_argument("--db", metavar="URL_OR_FILE", help=DB_HELP)


def add_feed_commands(sub: Subcommands, *, feeds: Command) -> None:
    """Describe `feeds add|list|remove|resume|poll`."""
    parser = sub.add_parser("feeds", help="the RSS, Atom and JSON feeds briefs are read from")
    parser.set_defaults(func=feeds)
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", help="add a feed: its items now are stored, never posted; new ones are posted"
    )
    add.add_argument("url")
    add.add_argument("--name", help="its source name (default: from its host, e.g. example-org)")
    add.add_argument("--label", help="how /brief history shows it (default: the feed's title)")
    add.add_argument(
        "--interval", type=int, default=10, metavar="MINUTES", help="minutes between fetches (2+)"
    )
    add.add_argument("--topics", default="", help="topics given to every item, comma-separated")
    add.add_argument(
        "--review",
        action="store_true",
        help="its new items wait as drafts for an editor's approval (its backlog does not)",
    )
    add.add_argument(
        "--dry-run", action="store_true", help="show what would be stored; store nothing"
    )
    listed = actions.add_parser("list", help="list the feeds: status, last and next fetch, review")
    remove = actions.add_parser("remove", help="stop reading a feed (its briefs stay)")
    remove.add_argument("name")
    resume = actions.add_parser("resume", help="fetch a paused feed again, now")
    resume.add_argument("name")
    poll = actions.add_parser("poll", help="fetch due feeds, every 15 s until Ctrl+C")
    poll.add_argument("--once", action="store_true", help="fetch every due feed once and exit")
    poll.add_argument("--all", action="store_true", help="fetch every feed, due or not")
    for command in (add, listed, remove, resume, poll):
        command.add_argument("--db", metavar="URL_OR_FILE", help=DB_HELP)
