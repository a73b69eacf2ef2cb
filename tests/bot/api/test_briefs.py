"""Pushing briefs over real HTTP: create, correct, no-op, retract, read; refusals store nothing."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bot.api import ApiServer
from storage.library import Storage
from tests.helpers import example_bytes

SAMPLE = {"title": "Comet visible this weekend", "what_happened": "A comet is back."}


@pytest.fixture
async def token(store: Storage) -> str:
    await store.sources.add("cms", label="Harbour CMS")
    await store.sources.add("wire")
    _, secret = await store.tokens.create("cms", "Newsdesk")
    return secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def count(store: Storage) -> int:
    return (await store.counts())["briefs"]


async def test_a_push_creates_then_an_edit_corrects_and_the_same_body_is_a_no_op(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    url = f"{server.url}/v1/sources/cms/briefs/story-1"
    async with http.put(url, json=SAMPLE, headers=bearer(token)) as response:
        assert response.status == 201
        created = await response.json()
    assert created["outcome"] == "created"
    assert (created["source"], created["external_id"]) == ("cms", "story-1")
    brief_id = created["brief"]["id"]

    async with http.put(url, json=SAMPLE, headers=bearer(token)) as response:
        assert response.status == 200
        assert (await response.json())["outcome"] == "unchanged"

    edited = {**SAMPLE, "title": "Comet visible on Sunday"}
    async with http.put(
        url, json=edited, headers=bearer(token), params={"correction": "The day was wrong."}
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert body["outcome"] == "corrected"
    assert body["brief"]["id"] == brief_id
    assert body["brief"]["correction"] == "The day was wrong."

    stored = await store.briefs.by_external("cms", "story-1")
    assert stored is not None
    assert stored.title == "Comet visible on Sunday"
    assert await count(store) == 1
    async with http.get(f"{server.url}/metrics") as response:
        metrics = await response.text()
    for outcome in ("created", "unchanged", "corrected"):
        assert f'briefbot_api_briefs_total{{outcome="{outcome}",source="cms"}} 1.0' in metrics


async def test_a_brief_in_the_text_format_is_pushed_as_written(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    headers = {**bearer(token), "Content-Type": "text/plain; charset=utf-8"}
    async with http.put(
        f"{server.url}/v1/sources/cms/briefs/comet", data=example_bytes(), headers=headers
    ) as response:
        assert response.status == 201, await response.text()
        title = (await response.json())["brief"]["title"]
    stored = await store.briefs.by_external("cms", "comet")
    assert stored is not None
    assert stored.title == title


async def test_get_reads_and_delete_retracts(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    url = f"{server.url}/v1/sources/cms/briefs/story-2"
    async with http.put(url, json=SAMPLE, headers=bearer(token)):
        pass
    async with http.get(url, headers=bearer(token)) as response:
        assert response.status == 200
        read = await response.json()
    assert read["brief"]["title"] == SAMPLE["title"]
    assert read["delivery"] == []  # no channel subscribed
    async with http.delete(url, headers=bearer(token), params={"reason": "Wrong comet."}) as r:
        assert r.status == 200
        retracted = (await r.json())["brief"]
    assert retracted["retracted_at"] is not None
    assert retracted["retraction"] == "Wrong comet."
    async with http.put(url, json=SAMPLE, headers=bearer(token)) as response:
        assert response.status == 409
        assert "retracted" in (await response.json())["detail"]
    async with http.delete(f"{url}-none", headers=bearer(token)) as response:
        assert response.status == 404


@pytest.mark.parametrize(
    ("headers", "status", "says"),
    [
        ({}, 401, "Authorization: Bearer"),
        ({"Authorization": "Basic abc"}, 401, "Authorization: Bearer"),
        ({"Authorization": "Bearer bb_not-a-token"}, 401, "unknown or revoked"),
    ],
)
async def test_a_missing_or_wrong_token_is_refused_and_nothing_stored(
    server: ApiServer,
    http: aiohttp.ClientSession,
    store: Storage,
    token: str,
    headers: dict[str, str],
    status: int,
    says: str,
):
    url = f"{server.url}/v1/sources/cms/briefs/x"
    async with http.put(url, json=SAMPLE, headers=headers) as response:
        assert response.status == status
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert says in (await response.json())["detail"]
    assert await count(store) == 0


async def test_a_revoked_token_is_refused(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    (record,) = await store.tokens.list("cms")
    assert await store.tokens.revoke(record.id)
    url = f"{server.url}/v1/sources/cms/briefs/x"
    async with http.put(url, json=SAMPLE, headers=bearer(token)) as response:
        assert response.status == 401
    assert await count(store) == 0


async def test_a_token_acts_for_its_own_source_only(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    url = f"{server.url}/v1/sources/wire/briefs/x"
    async with http.put(url, json=SAMPLE, headers=bearer(token)) as response:
        assert response.status == 403
        assert "acts for source 'cms' only" in (await response.json())["detail"]
    assert await count(store) == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        (json.dumps({"title": "No summary"}), "application/json", 422, "what_happened"),
        ("{not json", "application/json", 422, "not valid JSON"),
        (json.dumps([SAMPLE, SAMPLE]), "application/json", 422, "one brief object"),
        ("Just a title", "text/plain", 422, "not valid"),
        ("<brief/>", "application/xml", 415, "application/json or text/plain"),
    ],
)
async def test_an_invalid_brief_is_refused_saying_why_and_nothing_stored(
    server: ApiServer,
    http: aiohttp.ClientSession,
    store: Storage,
    token: str,
    body: str,
    content_type: str,
    status: int,
    says: str,
):
    headers = {**bearer(token), "Content-Type": content_type}
    url = f"{server.url}/v1/sources/cms/briefs/x"
    async with http.put(url, data=body, headers=headers) as response:
        assert response.status == status
        assert response.content_type == "application/problem+json"
        assert says in (await response.json())["detail"]
    assert await count(store) == 0


async def test_a_token_over_its_rate_is_told_when_to_retry(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    url = f"{server.url}/v1/sources/cms/briefs/missing"
    statuses = []
    for _ in range(70):
        async with http.get(url, headers=bearer(token)) as response:
            statuses.append(response.status)
            if response.status == 429:
                assert int(response.headers["Retry-After"]) >= 1
                break
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {404}


async def test_a_signed_source_must_sign_each_push_once(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage, token: str
):
    from datetime import UTC, datetime

    from standardwebhooks import Webhook

    secret = await store.sources.set_webhook_secret("cms")
    url = f"{server.url}/v1/sources/cms/briefs/signed"
    body = json.dumps(SAMPLE).encode()
    headers = {**bearer(token), "Content-Type": "application/json"}
    async with http.put(url, data=body, headers=headers) as response:
        assert response.status == 401
        assert "Standard Webhooks" in (await response.json())["detail"]
    assert await count(store) == 0

    now = datetime.now(UTC)
    signed = {
        **headers,
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_1", now, body),
    }
    async with http.put(url, data=body, headers=signed) as response:
        assert response.status == 201
    async with http.put(url, data=body, headers=signed) as response:
        assert response.status == 409
        assert "already delivered" in (await response.json())["detail"]
