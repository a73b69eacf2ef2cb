"""A source that requires review pushes drafts: nothing it pushes is published until an
editor approves it; its later pushes change the draft, still in review."""

from __future__ import annotations

import aiohttp
import pytest

from bot.api import ApiServer
from storage.library import Storage
from storage.publishing import User

SAMPLE = {"title": "Wire: budget agreed", "what_happened": "The council agreed its budget."}


@pytest.fixture
async def token(store: Storage) -> str:
    await store.sources.add("wire", label="The wire")
    await store.sources.set_review("wire", True)
    _, secret = await store.tokens.create("wire", "Desk")
    return secret


async def test_a_push_from_a_reviewed_source_waits_for_an_editor(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    url = f"{server.url}/v1/sources/wire/briefs/budget"
    headers = {"Authorization": f"Bearer {token}"}
    async with http.put(url, json=SAMPLE, headers=headers) as response:
        assert response.status == 201
        created = (await response.json())["brief"]
    assert created["review"] == "submitted"
    assert await store.briefs.get(created["id"]) is None
    assert await store.briefs.search("budget") == []
    fixed = {**SAMPLE, "title": "Wire: budget agreed, 12 votes to 3"}
    async with http.put(url, json=fixed, headers=headers) as response:
        body = await response.json()
    assert body["outcome"] == "corrected"
    assert body["brief"]["review"] == "submitted"
    assert await store.briefs.get(created["id"]) is None
    assert await store.publisher.approve(created["id"], by=User(7)) is not None
    async with http.get(url, headers=headers) as response:
        shown = (await response.json())["brief"]
    assert shown["review"] is None
    assert shown["title"] == fixed["title"]
    assert await store.briefs.get(created["id"]) is not None
