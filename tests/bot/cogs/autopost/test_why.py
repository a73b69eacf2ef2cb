"""`/autopost why`: for each subscription of the server, why a brief was or was not posted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.cogs.autopost._policy import CapWindow
from bot.cogs.autopost._why import Reason, Standing, explain, verdict, why_text
from storage.models import BriefContent, PostRecord, PostTrace, Subscription
from tests.helpers import Server, deny_bot, publish

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def content(n: int, *tags: str) -> BriefContent:
    """A small valid brief numbered n, with these topics."""
    return BriefContent(
        title=f"Brief number {n}", what_happened=f"Event {n} happened.", topics=list(tags)
    )


def lines(answer: str) -> dict[int, str]:
    """The answer's line for each subscription, by its number."""
    found = {}
    for line in answer.splitlines()[1:]:
        number = line.removeprefix("**#").split("**", 1)[0]
        found[int(number)] = line
    return found


async def why(server: Server, brief: str, **options: object) -> str:
    result = await server.manager.slash(server.news, "autopost why", brief=brief, **options)
    assert result.ephemeral
    return str(result.response.content)


async def test_each_subscription_says_why_a_brief_was_or_was_not_posted(simcord_env):
    env = simcord_env
    server = Server(env)
    storage = env.bot.storage
    early = await storage.briefs.add(content(0, "weather"))
    sport = server.guild.create_text_channel("sport")
    capped = server.guild.create_text_channel("capped")
    lost = server.guild.create_text_channel("lost")
    refusing = server.guild.create_text_channel("refusing")
    for channel, options in [
        (server.news, {}),
        (sport, {"topics": "sport"}),
        (capped, {"daily_cap": 1}),
        (lost, {}),
        (refusing, {}),
    ]:
        added = await server.manager.slash(server.news, "autopost add", channel=channel, **options)
        assert "Done" in added.response.content
    news_sub, sport_sub, capped_sub, lost_sub, refusing_sub = await storage.subscriptions.of_guild(
        server.guild.id
    )
    deny_bot(env, lost, send_messages=True)
    env.inject_error("POST", f"/channels/{refusing.id}/messages", status=400, code=50035)

    first = await publish(env, content(1, "weather"))
    second = await publish(env, content(2, "weather"))

    answer = lines(await why(server, str(second.id)))
    copy = await storage.post_log.copy(server.news.id, second.id)
    assert copy is not None
    assert "**posted**" in answer[news_sub.id]
    assert f"/{server.guild.id}/{server.news.id}/{copy.message_id}" in answer[news_sub.id]
    assert "**topics did not match**: it has `weather`" in answer[sport_sub.id]
    assert "wants any of `sport`" in answer[sport_sub.id]
    assert "**waiting for the daily cap**: 1 of at most 1 posts" in answer[capped_sub.id]
    (posted_at,) = await storage.post_log.posted_times(capped_sub.id, capped_sub.subscribed_at)
    turn = int((posted_at + timedelta(days=1)).timestamp())
    assert f"it goes out <t:{turn}:R>" in answer[capped_sub.id]
    assert "**paused**: I'm missing Send Messages" in answer[lost_sub.id]

    before = lines(await why(server, f"#{early.id}"))
    assert "**published before the subscription**" in before[news_sub.id]
    assert "**topics did not match**" in before[sport_sub.id]  # the first reason that holds

    waiting = await storage.briefs.add(content(3))  # not announced yet: the sweep finds it
    assert (
        "**still queued**: it goes out at the next check, <t:"
        in lines(await why(server, "Brief number 3", subscription=news_sub.id))[news_sub.id]
    )
    assert await storage.briefs.delete(waiting.id, actor_id=None, reason="wrong")
    retracted = await why(server, str(waiting.id), subscription=news_sub.id)
    assert retracted.splitlines()[0].endswith("(retracted):")
    assert "**retracted**" in lines(retracted)[news_sub.id]

    skipped = await storage.briefs.add(content(4))
    await storage.post_log.skip(news_sub, [skipped.id])
    assert "**skipped**" in await why(server, str(skipped.id), subscription=news_sub.id)
    refused = lines(await why(server, str(first.id)))  # Discord refused the first post there
    assert "**refused by Discord**: HTTP 400" in refused[refusing_sub.id]
    assert "once a publisher edits it" in refused[refusing_sub.id]
    assert "**posted**" in refused[capped_sub.id]

    other = Server(env, "Other")
    stranger = await other.manager.slash(
        other.news, "autopost why", brief=str(first.id), subscription=news_sub.id
    )
    assert "no subscription" in stranger.response.content
    assert "no auto-post subscription" in await why(other, str(first.id))
    assert "There is no brief #999" in await why(server, "999")
    assert "couldn't find" in await why(server, "no such words anywhere")


async def test_the_brief_is_suggested_like_brief_show(simcord_env):
    env = simcord_env
    server = Server(env)
    await publish(env, content(1))
    await publish(env, content(2))
    choices = await server.manager.autocomplete(server.news, "autopost why", "brief", "number 2")
    assert [(c["name"], c["value"]) for c in choices] == [("#2 · Brief number 2", "2")]


def test_a_long_answer_fits_one_message_and_a_posted_record_comes_first():
    subscriptions = [
        Subscription(
            id=n,
            guild_id=1,
            channel_id=100 + n,
            topics=[f"topic {n} {k} " + "x" * 28 for k in range(10)],
            subscribed_at=NOW - timedelta(days=1),
        )
        for n in range(25)
    ]
    trace = PostTrace(
        brief_id=7,
        title="@everyone **bold** " + "t" * 200,
        topics=["weather"],
        created_at=NOW,
        deleted_at=NOW,
        records=[],
    )
    answer = why_text(trace, [Standing(sub) for sub in subscriptions], next_check=None)
    assert len(answer) <= 2000
    assert "\\*\\*bold\\*\\*" in answer.splitlines()[0]  # publishers' copy, shown as typed
    posted = PostRecord(
        channel_id=100,
        subscription_id=None,
        thread_id=None,
        message_id=5,
        posted_at=NOW,
        skipped=False,
        rejected_at=None,
        rejected_reason=None,
        copy_state="retracted",
        retrying=False,
    )
    standing = Standing(subscriptions[0], posted, window=CapWindow(1, [NOW], NOW))
    assert verdict(trace, standing) is Reason.POSTED  # a fact, whatever the rules say now


def test_a_brief_from_a_feeds_backlog_is_never_auto_posted():
    sub = Subscription(id=1, guild_id=1, channel_id=100, subscribed_at=NOW - timedelta(days=1))
    trace = PostTrace(
        brief_id=7,
        title="An item already in the feed",
        topics=[],
        created_at=NOW,
        deleted_at=None,
        backfill=True,
        records=[],
    )
    assert verdict(trace, Standing(sub)) is Reason.BACKFILL
    assert "never auto-posted" in explain(trace, Standing(sub), next_check=None)
