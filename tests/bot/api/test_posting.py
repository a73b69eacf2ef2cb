"""POST with an Idempotency-Key: the same key and body answer the first response again."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.api import ApiServer
from storage.library import Storage

SAMPLE = {"title": "Ferry timetable changes", "what_happened": "Winter times start Monday."}


@pytest.fixture
async def token(store: Storage) -> str:
    await store.sources.add("cms")
    _, secret = await store.tokens.create("cms", "Newsdesk")
    return secret


async def post(http: aiohttp.ClientSession, url: str, token: str, key: str | None, body: dict):
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    async with http.post(f"{url}/v1/sources/cms/briefs", json=body, headers=headers) as response:
        return response.status, await response.json()


async def test_the_same_key_and_body_answer_the_first_response_and_store_one_brief(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    first = await post(http, server.url, token, "k-1", SAMPLE)
    again = await post(http, server.url, token, "k-1", SAMPLE)
    assert first[0] == 201
    assert first[1]["outcome"] == "created"
    assert again == first
    assert (await store.counts())["briefs"] == 1


async def test_a_key_reused_for_another_body_is_refused(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    await post(http, server.url, token, "k-2", SAMPLE)
    status, problem = await post(http, server.url, token, "k-2", {**SAMPLE, "title": "Other"})
    assert status == 422
    assert "another body" in problem["detail"]
    brief = await store.briefs.by_external("cms", "idempotency-key:k-2")
    assert brief is not None
    assert brief.title == SAMPLE["title"]


async def test_a_post_without_a_key_is_refused_and_stores_nothing(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    status, problem = await post(http, server.url, token, None, SAMPLE)
    assert status == 400
    assert "Idempotency-Key" in problem["detail"]
    assert (await store.counts())["briefs"] == 0


async def test_a_cms_firing_its_hook_twice_at_once_stores_one_brief(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    answers = await asyncio.gather(*(post(http, server.url, token, "k-3", SAMPLE) for _ in "ab"))
    assert {status for status, _ in answers} == {201}
    assert answers[0][1]["brief"]["id"] == answers[1][1]["brief"]["id"]
    assert (await store.counts())["briefs"] == 1
