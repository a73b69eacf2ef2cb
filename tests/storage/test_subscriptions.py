"""Auto-post subscriptions and the post log: many per server, topics, pauses, and claims
exactly once per channel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import storage.delivery_log
from storage.backends import open_storage
from storage.base import Shards
from storage.briefs import Briefs
from storage.errors import AmbiguousSubscriptionError, SubscriptionLimitError
from storage.library import Storage
from storage.models import MAX_SUBSCRIPTIONS, Brief, SubscriptionOptions
from storage.topics import Match
from tests.databases import message_id

from .conftest import make_content

GUILD, CHANNEL, ROLE = 111, 222, 333


async def subscribed(store: Storage, guild: int = GUILD, channel: int = CHANNEL, **options: Any):
    """Add a subscription (every brief, unless options say otherwise)."""
    return await store.subscriptions.add(guild, SubscriptionOptions(channel_id=channel, **options))


async def test_subscription_lifecycle(store: Storage) -> None:
    subs = store.subscriptions
    assert await subs.first(GUILD) is None
    before = datetime.now(UTC)
    sub = await subs.set_channel(GUILD, CHANNEL, crosspost=True)
    assert sub.channel_id == CHANNEL
    assert sub.crosspost
    assert sub.subscribed_at >= before
    assert await subs.first(GUILD) == sub
    assert await subs.active() == [sub]

    assert (await subs.set_mention(GUILD, ROLE)).mention_role_id == ROLE  # type: ignore[union-attr]
    assert (await subs.set_mention(GUILD, None)).mention_role_id is None  # type: ignore[union-attr]

    await subs.pause(sub.id, "Missing permission: Send Messages")
    paused = await subs.get(sub.id)
    assert paused is not None
    assert paused.paused_reason == "Missing permission: Send Messages"
    assert paused.paused_at is not None
    assert await subs.active() == []

    resumed = await subs.set_channel(GUILD, CHANNEL + 1)
    assert resumed.id == sub.id  # the server's one subscription moved
    assert resumed.paused_reason is None
    assert resumed.paused_at is None
    assert not resumed.crosspost
    assert resumed.subscribed_at >= sub.subscribed_at
    assert [s.guild_id for s in await subs.active()] == [GUILD]

    assert await subs.remove_all(GUILD) == 1
    assert await subs.first(GUILD) is None
    assert await subs.active() == []


async def test_mention_without_a_subscription_changes_nothing(store: Storage) -> None:
    assert await store.subscriptions.set_mention(GUILD, ROLE) is None
    assert await store.subscriptions.active() == []


async def test_many_subscriptions_per_server_up_to_the_limit(store: Storage) -> None:
    subs = store.subscriptions
    made = [
        await subscribed(store, channel=CHANNEL + n, topics=[f"topic {n}"])
        for n in range(MAX_SUBSCRIPTIONS)
    ]
    assert [s.id for s in await subs.of_guild(GUILD)] == [s.id for s in made]
    with pytest.raises(SubscriptionLimitError):
        await subscribed(store, channel=CHANNEL + 99)
    assert len(await subs.of_guild(GUILD)) == MAX_SUBSCRIPTIONS
    await subscribed(store, guild=GUILD + 1)  # the limit is per server
    # "The" subscription is ambiguous now: the simple commands refuse rather than guess.
    with pytest.raises(AmbiguousSubscriptionError):
        await subs.set_channel(GUILD, CHANNEL)
    with pytest.raises(AmbiguousSubscriptionError):
        await subs.set_mention(GUILD, ROLE)
    assert await subs.remove(GUILD, made[0].id)
    assert not await subs.remove(GUILD + 1, made[1].id)  # another server's: untouched
    assert len(await subs.of_guild(GUILD)) == MAX_SUBSCRIPTIONS - 1


async def test_a_number_is_never_handed_out_again(store: Storage, repo: Briefs) -> None:
    subs, log = store.subscriptions, store.post_log
    brief = await repo.add(make_content())
    first = await subscribed(store)
    highest = await subscribed(store, channel=CHANNEL + 1, daily_cap=1)
    assert await log.claim(highest, brief.id)
    await log.record_message(highest, brief.id, 5001)
    assert len(await log.posted_times(highest.id, highest.subscribed_at - timedelta(days=1))) == 1
    assert await subs.remove(GUILD, highest.id)  # the highest number goes

    elsewhere = await subscribed(store, guild=GUILD + 1, channel=CHANNEL + 2, daily_cap=1)
    assert elsewhere.id > highest.id
    day_before = elsewhere.subscribed_at - timedelta(days=1)
    assert len(await log.posted_times(elsewhere.id, day_before)) == 0
    # The post stays recorded for its channel, no longer for a subscription.
    assert not await log.claim(elsewhere.model_copy(update={"channel_id": CHANNEL + 1}), brief.id)
    assert len(await log.posted_times(highest.id, highest.subscribed_at - timedelta(days=1))) == 0
    assert await subs.remove_all(GUILD + 1) == 1
    assert await subs.remove_all(GUILD) == 1  # every subscription gone: still no reuse
    assert (await subscribed(store)).id > elsewhere.id > first.id


async def test_concurrent_adds_never_pass_the_limit(store_url: str) -> None:
    """Several connections (three pools on PostgreSQL; on SQLite, two connections to one
    file) add at once: each add counts and inserts under the guild's lock."""
    stores = [await open_storage(store_url) for _ in range(3)]
    try:
        for n in range(MAX_SUBSCRIPTIONS - 5):
            await subscribed(stores[0], channel=CHANNEL + n)

        async def add(store: Storage, n: int) -> bool:
            try:
                await subscribed(store, channel=CHANNEL + 100 + n)
            except SubscriptionLimitError:
                return False
            return True

        added = await asyncio.gather(*(add(stores[n % 3], n) for n in range(12)))
        assert added.count(True) == 5
        assert len(await stores[1].subscriptions.of_guild(GUILD)) == MAX_SUBSCRIPTIONS
        # Nor do concurrent `/autopost channel` on a new server make two "only" subscriptions.
        moved = await asyncio.gather(
            *(stores[n % 3].subscriptions.set_channel(GUILD + 1, CHANNEL + n) for n in range(8))
        )
        assert len({sub.id for sub in moved}) == 1
        assert len(await stores[2].subscriptions.of_guild(GUILD + 1)) == 1
    finally:
        for store in stores:
            await store.close()


async def test_edit_replaces_options_and_a_new_channel_starts_afresh(store: Storage) -> None:
    subs = store.subscriptions
    sub = await subscribed(store, topics=["Sport"])
    same = await subs.edit(
        sub.id, SubscriptionOptions(channel_id=CHANNEL, topics=["Sport", "weather"], silent=True)
    )
    assert same is not None
    assert (same.topics, same.silent, same.subscribed_at) == (
        ["Sport", "weather"],
        True,
        sub.subscribed_at,
    )
    moved = await subs.edit(sub.id, SubscriptionOptions(channel_id=CHANNEL + 1, daily_cap=3))
    assert moved is not None
    assert (moved.channel_id, moved.topics, moved.daily_cap) == (CHANNEL + 1, [], 3)
    assert moved.subscribed_at > sub.subscribed_at
    await subs.pause(sub.id, "gone")
    resumed = await subs.edit(sub.id, SubscriptionOptions(channel_id=CHANNEL + 1))
    assert resumed is not None
    assert resumed.paused_reason is None
    assert resumed.subscribed_at > moved.subscribed_at  # no backlog after a pause either
    assert await subs.edit(9999, SubscriptionOptions(channel_id=1)) is None


async def test_errors_are_kept_and_cleared(store: Storage) -> None:
    subs = store.subscriptions
    sub = await subs.set_channel(GUILD, CHANNEL)
    await subs.record_error(sub.id, "HTTP 500")
    kept = await subs.get(sub.id)
    assert kept is not None
    assert kept.paused_at is None
    assert kept.last_error == "HTTP 500"
    await subs.record_error(sub.id, None)
    assert (await subs.get(sub.id)).last_error is None  # type: ignore[union-attr]


async def test_claim_is_exactly_once_per_channel(store: Storage, repo: Briefs) -> None:
    brief = await repo.add(make_content())
    log = store.post_log
    news, sport, elsewhere = (
        await subscribed(store),
        await subscribed(store, topics=["sport"]),
        await subscribed(store, channel=CHANNEL + 1),
    )
    assert await log.claim(news, brief.id)
    assert not await log.claim(news, brief.id)
    assert not await log.claim(sport, brief.id)  # another subscription, the same channel
    assert await log.claim(elsewhere, brief.id)  # other channels are separate


async def test_concurrent_claims_have_one_winner(store: Storage, repo: Briefs) -> None:
    brief = await repo.add(make_content())
    sub = await subscribed(store)
    results = await asyncio.gather(*(store.post_log.claim(sub, brief.id) for _ in range(20)))
    assert results.count(True) == 1


async def test_claim_across_connections_has_one_winner(store_url: str) -> None:
    first, second = await open_storage(store_url), await open_storage(store_url)
    try:
        brief = await first.briefs.add(make_content())
        subs = [await subscribed(first), await subscribed(first, topics=["x"])]
        results = await asyncio.gather(
            *(db.post_log.claim(sub, brief.id) for db in (first, second) for sub in subs * 3)
        )
        assert results.count(True) == 1
    finally:
        await first.close()
        await second.close()


async def test_record_release_and_last_post(store: Storage, repo: Briefs) -> None:
    subs, log = store.subscriptions, store.post_log
    sub = await subs.set_channel(GUILD, CHANNEL)
    await subs.record_error(sub.id, "old error")
    one, two = await repo.add(make_content()), await repo.add(make_content())
    assert sub.last_post_at is None

    assert await log.claim(sub, one.id)
    await log.record_message(sub, one.id, 999, thread_id=555)
    assert await message_id(store, GUILD, one.id) == 999
    assert (await log.copy(CHANNEL, one.id)).thread_id == 555  # type: ignore[union-attr]
    after = await subs.get(sub.id)
    assert after is not None
    assert after.last_post_at is not None
    assert after.last_error is None
    assert len(await log.posted_times(sub.id, datetime.now(UTC) - timedelta(days=1))) == 1

    assert await log.claim(sub, two.id)
    await log.release(CHANNEL, two.id)
    assert await log.claim(sub, two.id)  # released claims can be retried
    await log.release(CHANNEL, one.id)  # a posted message is never released
    assert not await log.claim(sub, one.id)


async def test_pending_respects_subscription_log_skips_and_deletes(
    store: Storage, repo: Briefs
) -> None:
    subs, log = store.subscriptions, store.post_log
    backlog = await repo.add_many(
        [Brief(**make_content().model_dump(), id=1, created_at=datetime(2020, 1, 1, tzinfo=UTC))]
    )
    before = await repo.add(make_content(title="Before subscribing"))
    sub = await subs.set_channel(GUILD, CHANNEL)
    assert await log.pending(sub, limit=10) == ([], 0)

    new = [(await repo.add(make_content(title=f"New {i}"))).id for i in range(6)]
    assert await log.pending(sub, limit=3) == (new[:3], 6)

    assert await log.claim(sub, new[0])
    await log.skip(sub, new[1:3])
    await repo.delete(new[3], actor_id=None)
    assert await log.pending(sub, limit=10) == (new[4:], 2)
    assert not await log.claim(sub, new[1])  # skipped is never posted
    await log.release(CHANNEL, new[1])  # and cannot be un-skipped by a release
    assert await log.pending(sub, limit=10) == (new[4:], 2)

    other = await subs.set_channel(GUILD + 1, CHANNEL + 1)
    assert await log.pending(other, limit=10) == ([], 0)
    assert backlog[0].id not in new
    assert before.id not in new

    later = sub.model_copy(update={"subscribed_at": datetime.now(UTC) + timedelta(days=1)})
    assert await log.pending(later, limit=10) == ([], 0)


async def test_pending_routes_by_topic(store: Storage, repo: Briefs) -> None:
    log = store.post_log
    every = await subscribed(store, channel=1)
    any_of = await subscribed(store, channel=2, topics=["sport", "Local News"])
    all_of = await subscribed(store, channel=3, topics=["sport", "local news"], match=Match.ALL)
    none_of = await subscribed(store, channel=4, topics=["SPORT"], match=Match.NONE)
    sport = await repo.add(make_content(title="Match", topics=["Sport"]))
    local = await repo.add(make_content(title="Roads", topics=["local  news"]))
    both = await repo.add(make_content(title="Derby", topics=["local news", "sport"]))
    plain = await repo.add(make_content(title="Weather"))
    assert (await log.pending(every, limit=9))[0] == [sport.id, local.id, both.id, plain.id]
    assert (await log.pending(any_of, limit=9))[0] == [sport.id, local.id, both.id]
    assert (await log.pending(all_of, limit=9))[0] == [both.id]
    assert (await log.pending(none_of, limit=9))[0] == [local.id, plain.id]
    assert await log.pending(any_of, limit=1) == ([sport.id], 3)


async def test_pending_is_oldest_id_first_with_total(store: Storage, repo: Briefs) -> None:
    log = store.post_log
    settings = await store.subscriptions.set_channel(GUILD, CHANNEL)
    # Oldest first means lowest id first, even when created_at disagrees (an import).
    [imported] = await repo.add_many(
        [Brief(**make_content().model_dump(), id=50, created_at=datetime.now(UTC) + timedelta(1))]
    )
    new = [b.id for b in await repo.add_many([make_content(title=f"N {i}") for i in range(30)])]
    assert imported.id < new[0]
    await log.skip(settings, new[::2])
    assert await log.pending(settings, limit=4) == ([imported.id, *new[1:7:2]], 16)
    assert await log.pending(settings, limit=0) == ([], 16)
    await log.skip(settings, [imported.id, *new[1:]])
    assert await log.pending(settings, limit=2) == ([], 0)


async def test_active_serves_only_this_process_shards(store: Storage) -> None:
    # Discord's formula: a guild's shard is (guild_id >> 22) % shard_count.
    ids = [(n << 22) + 7 for n in range(6)]  # shards 0, 1, 2, 0, 1, 2 of three
    made = [await store.subscriptions.set_channel(g, CHANNEL + n) for n, g in enumerate(ids)]
    await store.subscriptions.pause(made[3].id, "gone")
    every = [g.guild_id for g in await store.subscriptions.active()]
    assert every == ids[:3] + ids[4:]
    assert [g.guild_id for g in await store.subscriptions.active(Shards(3, (0,)))] == [ids[0]]
    both = await store.subscriptions.active(Shards(3, (1, 2)))
    assert [g.guild_id for g in both] == [ids[1], ids[2], ids[4], ids[5]]
    assert [g.guild_id for g in await store.subscriptions.active(Shards(1, (0,)))] == every
    assert all(Shards(3, (1, 2)).owns(g.guild_id) for g in both)


async def test_a_rejected_post_waits_for_an_edit(store: Storage, repo: Briefs) -> None:
    log = store.post_log
    settings = await store.subscriptions.set_channel(GUILD, CHANNEL)
    brief = await repo.add(make_content())
    assert await log.claim(settings, brief.id)
    await log.reject(CHANNEL, brief.id, "HTTP 400: Invalid Form Body")

    assert await log.pending(settings, limit=10) == ([], 0)
    assert not await log.claim(settings, brief.id)
    [rejected] = await log.rejected(CHANNEL)
    assert (rejected.brief_id, rejected.reason, rejected.retrying) == (
        brief.id,
        "HTTP 400: Invalid Form Body",
        False,
    )

    await repo.update(brief.id, make_content(title="Fixed"), actor_id=1)
    assert await log.pending(settings, limit=10) == ([brief.id], 1)
    assert (await log.rejected(CHANNEL))[0].retrying
    claims = await asyncio.gather(*(log.claim(settings, brief.id) for _ in range(5)))
    assert claims.count(True) == 1
    assert await log.rejected(CHANNEL) == []
    await log.record_message(settings, brief.id, 4242)
    assert await message_id(store, GUILD, brief.id) == 4242
    assert await log.pending(settings, limit=10) == ([], 0)


# --- corrections: keeping posted copies right ------------------------------------------------


async def post(store: Storage, brief_id: int, message: int, *, guild: int = GUILD) -> None:
    """Claim and record a post of the brief in the guild's channel (CHANNEL + guild - GUILD),
    showing its current version."""
    brief = await store.briefs.get(brief_id)
    assert brief is not None
    sub = await store.subscriptions.first(guild) or await store.subscriptions.set_channel(
        guild, CHANNEL + guild - GUILD
    )
    assert await store.post_log.claim(sub, brief_id)
    await store.post_log.record_message(
        sub, brief_id, message, shown_hash="h0", shown_version=brief.updated_at
    )


async def test_an_edited_brief_puts_its_copies_in_line_once(store: Storage, repo: Briefs) -> None:
    log = store.post_log
    brief = await repo.add(make_content())
    for guild in (GUILD, GUILD + 1):
        await post(store, brief.id, 900 + guild, guild=guild)
    lease = timedelta(minutes=1)
    assert await store.copies.due(limit=10, lease=lease) == []

    edited = await repo.update(brief.id, make_content(title="Corrected"), actor_id=1)
    assert edited is not None
    assert await store.copies.behind(GUILD) == 1
    first = await store.copies.due(limit=10, lease=lease)
    assert sorted(copy.guild_id for copy in first) == [GUILD, GUILD + 1]
    assert {copy.shown_hash for copy in first} == {"h0"}
    assert await store.copies.due(limit=10, lease=lease) == []  # leased: nobody else takes them

    await store.copies.shown(CHANNEL, brief.id, shown_hash="h1", shown_version=edited.updated_at)
    await store.copies.release(CHANNEL + 1, brief.id, retry_after=lease)
    assert await store.copies.due(limit=10, lease=lease) == []  # not before retry_after
    await store.copies.release(CHANNEL + 1, brief.id, retry_after=timedelta(0))
    [again] = await store.copies.due(limit=10, lease=lease)
    assert again.guild_id == GUILD + 1
    assert await store.copies.behind(GUILD) == 0
    assert (await log.copy(CHANNEL, brief.id)).shown_hash == "h1"  # type: ignore[union-attr]


async def test_two_processes_lease_each_copy_once(store_url: str) -> None:
    first, second = await open_storage(store_url), await open_storage(store_url)
    try:
        briefs = await first.briefs.add_many([make_content(title=f"N {n}") for n in range(40)])
        for brief in briefs:
            await post(first, brief.id, 5000 + brief.id)
            await first.briefs.update(brief.id, make_content(title="Fixed"), actor_id=None)
        lease = timedelta(minutes=1)
        batches = await asyncio.gather(
            *(store.copies.due(limit=5, lease=lease) for store in (first, second) * 6)
        )
        leased = [copy.brief_id for batch in batches for copy in batch]
        assert len(leased) == len(set(leased)) == 40
    finally:
        await first.close()
        await second.close()


async def test_lost_and_retracted_copies_are_left_alone(store: Storage, repo: Briefs) -> None:
    gone, closed, retracted = [await repo.add(make_content(title=f"B {n}")) for n in range(3)]
    for n, brief in enumerate((gone, closed, retracted)):
        await post(store, brief.id, 700 + n)
    await store.copies.lost(CHANNEL, gone.id, "gone")
    await store.copies.lost(CHANNEL, closed.id, "unreachable")
    assert await repo.delete(retracted.id, actor_id=5, reason="Wrong town named")
    for brief in (gone, closed):
        await repo.update(brief.id, make_content(title="Edited"), actor_id=None)

    [due] = await store.copies.due(limit=10, lease=timedelta(minutes=1))
    assert due.brief_id == retracted.id
    retraction = await repo.retraction(retracted.id)
    assert retraction is not None
    assert (retraction.title, retraction.reason) == ("B 2", "Wrong town named")
    assert await repo.retraction(gone.id) is None
    await store.copies.shown(
        CHANNEL, retracted.id, shown_hash="r", shown_version=None, retracted=True
    )
    await repo.update(gone.id, make_content(title="Edited again"), actor_id=None)
    assert await store.copies.due(limit=10, lease=timedelta(minutes=1)) == []
    [entry] = [e for e in await repo.history(retracted.id) if e.action == "delete"]
    assert entry.note == "Wrong town named"


async def test_a_correction_note_is_kept_with_the_brief_and_in_history(repo: Briefs) -> None:
    brief = await repo.add(make_content())
    noted = await repo.update(brief.id, make_content(), actor_id=1, note="The date was wrong.")
    assert noted is not None
    assert noted.correction == "The date was wrong."
    plain_edit = await repo.update(brief.id, make_content(body="More."), actor_id=1)
    assert plain_edit is not None
    assert plain_edit.correction == "The date was wrong."  # stays until another note
    assert [e.note for e in await repo.history(brief.id)] == [None, "The date was wrong.", None]


async def test_unsent_claims_are_retried_once_then_given_up(store: Storage, repo: Briefs) -> None:
    log = store.post_log
    brief = await repo.add(make_content())
    sub = await subscribed(store)
    assert await log.claim(sub, brief.id)
    minute = timedelta(minutes=1)
    assert await log.unsent(CHANNEL, stale_after=minute) == []
    async with store.db.transaction() as conn:  # as if its process died ten minutes ago
        await conn.execute(
            "UPDATE post_log SET posted_at = ?, claimed_at = ?",
            datetime.now(UTC) - 10 * minute,
            datetime.now(UTC) - 10 * minute,
        )
    [unsent] = await log.unsent(CHANNEL, stale_after=minute)
    assert (unsent.brief_id, unsent.channel_id) == (brief.id, CHANNEL)
    assert unsent.claimed_at < datetime.now(UTC) - 9 * minute
    wins = await asyncio.gather(
        *(log.retry(CHANNEL, brief.id, stale_after=minute) for _ in range(4))
    )
    assert wins.count(True) == 1
    assert await log.unsent(CHANNEL, stale_after=minute) == []  # just attempted again
    await log.give_up(CHANNEL, brief.id)
    assert await log.unsent(CHANNEL, stale_after=timedelta(0)) == []
    assert not await log.claim(sub, brief.id)


async def test_crossposts_wait_in_line_and_can_be_retried_later(
    store: Storage, repo: Briefs
) -> None:
    log = store.post_log
    brief = await repo.add(make_content())
    sub = await subscribed(store)
    assert await log.claim(sub, brief.id)
    await log.record_message(sub, brief.id, 11, crosspost=True)
    lease = timedelta(minutes=5)
    [due] = await store.crossposts.due(limit=5, lease=lease)
    assert due.message_id == 11
    assert await store.crossposts.due(limit=5, lease=lease) == []
    await store.crossposts.deferred(CHANNEL, brief.id, retry_after=timedelta(hours=1))
    assert await store.crossposts.due(limit=5, lease=lease) == []
    await store.crossposts.deferred(CHANNEL, brief.id)
    assert [c.brief_id for c in await store.crossposts.due(limit=5, lease=lease)] == [brief.id]
    await store.crossposts.published(CHANNEL, brief.id)
    assert await store.crossposts.due(limit=5, lease=lease) == []


async def test_the_delivery_log_keeps_the_newest_lines(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.delivery_log, "LOG_KEPT", 3)
    for n in range(5):
        await store.delivery_log.add(GUILD, n, "sent", f"line {n}")
    await store.delivery_log.add(GUILD + 1, None, "failed")
    lines = await store.delivery_log.recent(GUILD)
    assert [(line.brief_id, line.detail) for line in lines] == [
        (4, "line 4"),
        (3, "line 3"),
        (2, "line 2"),
    ]
    assert [line.event for line in await store.delivery_log.recent(GUILD + 1)] == ["failed"]
