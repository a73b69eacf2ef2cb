"""The post log read per brief: where it was posted, where it waits, where it was refused."""

from __future__ import annotations

from storage.library import Storage
from storage.models import BriefContent
from storage.publishing import CLI


async def test_deliveries_of_a_brief_say_posted_waiting_and_refused(store: Storage) -> None:
    brief = await store.publisher.publish(
        BriefContent(title="Flood barrier", what_happened="It held."), by=CLI
    )
    other = await store.publisher.publish(
        BriefContent(title="Other", what_happened="Elsewhere."), by=CLI
    )
    posted, waiting, refused = [
        await store.subscriptions.set_channel(guild, channel)
        for guild, channel in ((10, 100), (20, 200), (30, 300))
    ]
    for sub in (posted, waiting, refused):
        assert await store.post_log.claim(sub, brief.id)
    assert await store.post_log.claim(posted, other.id)
    await store.post_log.record_message(posted, brief.id, 1001)
    await store.post_log.reject(300, brief.id, "Missing Permissions")

    records = await store.post_log.deliveries(brief.id)
    assert [(r.guild_id, r.channel_id, r.message_id) for r in records] == [
        (10, 100, 1001),
        (20, 200, None),
        (30, 300, None),
    ]
    assert [r.rejected_reason for r in records] == [None, None, "Missing Permissions"]
    assert not any(r.retrying for r in records)
    assert await store.post_log.deliveries(brief.id + 100) == []
