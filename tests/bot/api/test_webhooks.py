"""Standard Webhooks: a signed push verifies on its raw body; a bad, stale or replayed one not,
whichever API process over the library the replay reaches."""

from __future__ import annotations

import base64
import json
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from standardwebhooks import Webhook

from bot.api import create_api, serving
from bot.api._problems import ApiProblem
from bot.api._webhooks import REPLAY_WINDOW, ReplayGuard, verify_signed
from bot.config import Settings
from storage.backends import open_storage
from storage.library import Storage
from storage.webhooks import WEBHOOK_ID_MAX
from tests.databases import database_url

SECRET = "whsec_" + base64.b64encode(b"a very secret key of 32 bytes!!!").decode()
BODY = b'{"title": "Comet", "what_happened": "A comet is back."}'


def signed(
    body: bytes, *, webhook_id: str = "msg_1", age: timedelta = timedelta(), secret: str = SECRET
) -> dict[str, str]:
    when = datetime.now(UTC) - age
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, when, body),
    }


@pytest.fixture
async def replays(store: Storage) -> ReplayGuard:
    await store.sources.add("cms")
    await store.sources.add("wire")
    return ReplayGuard(store.webhook_deliveries)


async def test_a_signed_push_verifies_once(replays: ReplayGuard):
    assert replays.window == REPLAY_WINDOW == timedelta(minutes=10)
    await verify_signed(SECRET, "cms", signed(BODY), BODY, replays)
    with pytest.raises(ApiProblem) as refused:
        await verify_signed(SECRET, "cms", signed(BODY), BODY, replays)
    assert refused.value.status == 409
    assert "already delivered" in refused.value.detail


async def test_the_same_id_from_another_source_is_not_a_replay(replays: ReplayGuard):
    await verify_signed(SECRET, "cms", signed(BODY), BODY, replays)
    await verify_signed(SECRET, "wire", signed(BODY), BODY, replays)


@pytest.mark.parametrize(
    ("age", "body", "why"),
    [
        (timedelta(), BODY + b" ", "No matching signature"),
        (timedelta(minutes=6), BODY, "too old"),
        (-timedelta(minutes=6), BODY, "too new"),
        (None, BODY, "Missing required headers"),
    ],
)
async def test_a_wrong_stale_or_unsigned_push_is_refused(
    replays: ReplayGuard, age: timedelta | None, body: bytes, why: str
):
    headers = {} if age is None else signed(BODY, age=age)  # signed now, not at collection
    with pytest.raises(ApiProblem) as refused:
        await verify_signed(SECRET, "cms", headers, body, replays)
    assert refused.value.status == 401
    assert why in refused.value.detail


async def test_an_id_longer_than_the_library_keeps_is_refused(replays: ReplayGuard):
    webhook_id = "m" * (WEBHOOK_ID_MAX + 1)
    with pytest.raises(ApiProblem) as refused:
        await verify_signed(SECRET, "cms", signed(BODY, webhook_id=webhook_id), BODY, replays)
    assert refused.value.status == 400
    longest = signed(BODY, webhook_id=webhook_id[:-1])
    await verify_signed(SECRET, "cms", longest, BODY, replays)


async def test_a_replay_to_another_api_process_over_the_library_is_refused(
    backend: str, tmp_path: Path, api_settings: Settings, http: aiohttp.ClientSession
):
    """Two APIs, each with its own connections to one database, as two processes would be:
    the id one of them accepted is refused by the other, and is still new for another source."""
    async with database_url(backend, tmp_path) as url, AsyncExitStack() as stack:
        first, second = [await open_storage(url) for _ in range(2)]
        for store in (first, second):
            stack.push_async_callback(store.close)
        tokens, secrets = {}, {}
        for source in ("cms", "wire"):
            await first.sources.add(source)
            secrets[source] = await first.sources.set_webhook_secret(source)
            _, tokens[source] = await first.tokens.create(source)
        one = await stack.enter_async_context(
            serving(create_api(first, api_settings), "127.0.0.1", 0)
        )
        other = await stack.enter_async_context(
            serving(create_api(second, api_settings), "127.0.0.1", 0)
        )

        async def push(server_url: str, source: str) -> int:
            headers = {
                "Authorization": f"Bearer {tokens[source]}",
                "Content-Type": "application/json",
                **signed(BODY, secret=secrets[source]),
            }
            url = f"{server_url}/v1/sources/{source}/briefs/story-1"
            async with http.put(url, data=BODY, headers=headers) as response:
                if response.status == 409:
                    assert "already delivered" in (await response.json())["detail"]
                return response.status

        assert await push(one.url, "cms") == 201
        assert await push(other.url, "cms") == 409
        assert await push(one.url, "cms") == 409
        assert await push(other.url, "wire") == 201
        assert await push(one.url, "wire") == 409
        stored = await second.briefs.by_external("cms", "story-1")
        assert stored is not None
        assert stored.title == json.loads(BODY)["title"]
