"""The delivery queue's mark: a round reads what was published since, never the library, and
nothing the old full read would have found is missed."""

from __future__ import annotations

from typing import Any

from storage.briefs import Briefs
from storage.library import Storage
from storage.models import Subscription, SubscriptionOptions
from storage.queue import Queue, _candidates

from .conftest import make_content

GUILD, CHANNEL = 111, 222


async def subscribed(store: Storage, **options: Any) -> Subscription:
    return await store.subscriptions.add(GUILD, SubscriptionOptions(channel_id=CHANNEL, **options))


async def mark_of(store: Storage, subscription: Subscription) -> int:
    async with store.db.read() as conn:
        return int(
            await conn.fetchval(
                "SELECT queue_from FROM subscriptions WHERE id = ?", subscription.id
            )
        )


async def candidates_read(store: Storage, subscription: Subscription) -> int:
    """How many briefs one round's query returns before topics are matched."""
    queue = Queue(store.db)
    async with store.db.read() as conn:
        mark = await conn.fetchrow(
            "SELECT queue_from, queue_version, queue_scanned_at FROM subscriptions WHERE id = ?",
            subscription.id,
        )
        rows = await conn.fetch(_candidates(store.db), *queue._arguments(subscription, dict(mark)))
    return len(rows)


async def test_a_new_subscription_starts_past_the_library(store: Storage, repo: Briefs) -> None:
    for i in range(5):
        await repo.add(make_content(title=f"Old {i}"))
    sub = await subscribed(store)
    assert await mark_of(store, sub) == 5
    assert await store.post_log.pending(sub, limit=10) == ([], 0)
    assert await candidates_read(store, sub) == 0


async def test_briefs_its_topics_pass_over_are_read_once(store: Storage, repo: Briefs) -> None:
    sub = await subscribed(store, topics=["sport"])
    for i in range(30):
        await repo.add(make_content(title=f"Weather {i}", topics=["weather"]))
    assert await candidates_read(store, sub) == 30  # before any round: all of them
    assert await store.post_log.pending(sub, limit=10) == ([], 0)
    assert await mark_of(store, sub) == 30
    assert await candidates_read(store, sub) == 0  # settled: the next round reads nothing

    match = await repo.add(make_content(title="Derby", topics=["Sport"]))
    assert await store.post_log.pending(sub, limit=10) == ([match.id], 1)
    assert await mark_of(store, sub) == match.id - 1  # waits before the brief still to post
    assert await store.post_log.claim(sub, match.id)
    assert await store.post_log.pending(sub, limit=10) == ([], 0)
    assert await mark_of(store, sub) == match.id


async def test_a_brief_waiting_its_turn_stays_queued(store: Storage, repo: Briefs) -> None:
    sub = await subscribed(store)
    ids = [(await repo.add(make_content(title=f"News {i}"))).id for i in range(4)]
    for _ in range(3):  # a daily cap lets none go: every round finds all four again
        assert await store.post_log.pending(sub, limit=1) == (ids[:1], 4)
    assert await store.post_log.claim(sub, ids[0])
    assert await store.post_log.pending(sub, limit=9) == (ids[1:], 3)


async def test_a_claim_given_back_is_queued_again(store: Storage, repo: Briefs) -> None:
    sub = await subscribed(store)
    first, second = [(await repo.add(make_content(title=f"News {i}"))).id for i in range(2)]
    assert await store.post_log.claim(sub, first)
    assert await store.post_log.claim(sub, second)
    assert await store.post_log.pending(sub, limit=9) == ([], 0)
    assert await mark_of(store, sub) == second
    await store.post_log.release(CHANNEL, first)  # its send failed in a retryable way
    assert await store.post_log.pending(sub, limit=9) == ([first], 1)


async def test_a_round_that_read_before_a_give_back_never_passes_it(
    store: Storage, repo: Briefs
) -> None:
    sub = await subscribed(store)
    brief = await repo.add(make_content(title="News"))
    assert await store.post_log.claim(sub, brief.id)
    queue = Queue(store.db)
    async with store.db.read() as conn:
        stale = dict(
            await conn.fetchrow(
                "SELECT queue_from, queue_version, queue_scanned_at, subscribed_at, channel_id"
                " FROM subscriptions WHERE id = ?",
                sub.id,
            )
        )
    await store.post_log.release(CHANNEL, brief.id)  # meanwhile, the claim goes back
    await queue._advance(sub, stale, (brief.id, stale["subscribed_at"]), [])  # the old round
    assert await store.post_log.pending(sub, limit=9) == ([brief.id], 1)


async def test_an_edit_that_adds_a_topic_queues_an_old_brief(store: Storage, repo: Briefs) -> None:
    sub = await subscribed(store, topics=["sport"])
    brief = await repo.add(make_content(title="Derby", topics=["weather"]))
    later = await repo.add(make_content(title="Rain", topics=["weather"]))
    assert await store.post_log.pending(sub, limit=9) == ([], 0)
    assert await mark_of(store, sub) == later.id
    edited = await repo.update(
        brief.id, make_content(title="Derby", topics=["sport"]), actor_id=None
    )
    assert edited is not None
    assert await store.post_log.pending(sub, limit=9) == ([brief.id], 1)


async def test_new_topics_on_a_subscription_read_its_briefs_again(
    store: Storage, repo: Briefs
) -> None:
    sub = await subscribed(store, topics=["sport"])
    weather = await repo.add(make_content(title="Rain", topics=["weather"]))
    assert await store.post_log.pending(sub, limit=9) == ([], 0)
    options = SubscriptionOptions(channel_id=CHANNEL, topics=["weather"])
    edited = await store.subscriptions.edit(sub.id, options)
    assert edited is not None
    assert await store.post_log.pending(edited, limit=9) == ([weather.id], 1)


async def test_a_refused_post_of_an_edited_brief_is_found_past_the_mark(
    store: Storage, repo: Briefs
) -> None:
    sub = await subscribed(store)
    brief = await repo.add(make_content(title="News"))
    assert await store.post_log.claim(sub, brief.id)
    await store.post_log.reject(CHANNEL, brief.id, "Invalid Form Body")
    assert await store.post_log.pending(sub, limit=9) == ([], 0)
    assert await mark_of(store, sub) == brief.id
    await repo.update(brief.id, make_content(title="News, fixed"), actor_id=None)
    assert await store.post_log.pending(sub, limit=9) == ([brief.id], 1)
