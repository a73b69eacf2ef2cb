"""Held briefs over the API: a source pushes a brief with a release time, moves it, lifts the
embargo; members see nothing until then, and a released brief is never held again."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from bot.api import ApiServer
from storage.library import Storage
from storage.models import utcnow

SAMPLE = {"title": "Budget embargoed", "what_happened": "The council sets its budget."}


@pytest.fixture
async def token(store: Storage) -> str:
    await store.sources.add("cms", label="Harbour CMS")
    _, secret = await store.tokens.create("cms", "Newsdesk")
    return secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def at(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


async def test_a_pushed_embargo_holds_moves_and_lifts(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    url = f"{server.url}/v1/sources/cms/briefs/budget"
    held = {**SAMPLE, "release_at": at(2)}
    async with http.put(url, json=held, headers=bearer(token)) as response:
        assert response.status == 201
        created = (await response.json())["brief"]
    assert created["release_at"] is not None
    assert await store.briefs.get(created["id"]) is None  # members: no such brief
    assert await store.briefs.search("budget") == []

    async with http.get(url, headers=bearer(token)) as response:  # its source sees it
        shown = await response.json()
    assert shown["brief"]["release_at"] == created["release_at"]
    assert shown["delivery"] == []

    async with http.put(url, json=held, headers=bearer(token)) as response:
        assert (await response.json())["outcome"] == "unchanged"
    moved = {**SAMPLE, "release_at": at(5)}
    async with http.put(url, json=moved, headers=bearer(token)) as response:
        body = await response.json()
    assert body["outcome"] == "corrected"
    assert body["brief"]["release_at"] != created["release_at"]
    assert await store.briefs.get(created["id"]) is None

    async with http.put(url, json=SAMPLE, headers=bearer(token)) as response:  # lifted
        lifted = (await response.json())["brief"]
    assert lifted["release_at"] is None
    assert lifted["released_at"] is not None
    assert await store.briefs.get(created["id"]) is not None

    async with http.put(url, json=held, headers=bearer(token)) as response:
        assert response.status == 409
        problem = await response.json()
    assert "already released" in problem["detail"]
    actions = [entry.action for entry in await store.briefs.history(created["id"])]
    assert actions == ["add", "schedule", "schedule", "release"]


async def test_a_release_time_without_its_offset_is_refused(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    url = f"{server.url}/v1/sources/cms/briefs/naive"
    naive = {**SAMPLE, "release_at": "2030-12-08T09:00:00"}
    async with http.put(url, json=naive, headers=bearer(token)) as response:
        assert response.status == 422
        assert "offset" in (await response.json())["detail"]
    text = "🕘RELEASE: 2030-12-08 09:00\n❓WHAT HAPPENED: The council sets its budget.\n"
    headers = {**bearer(token), "Content-Type": "text/plain"}
    async with http.put(url, data=text.encode(), headers=headers) as response:
        assert response.status == 422
    assert (await store.counts())["briefs"] == 0
