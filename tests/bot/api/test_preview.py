"""POST /v1/preview: the validation result and the payloads, valid per Discord's spec."""

from __future__ import annotations

import aiohttp

from bot.api import ApiServer
from storage.library import Storage
from tests.contract.check import check_request
from tests.helpers import example_bytes

MESSAGES = "/channels/1/messages"


async def test_a_valid_brief_previews_as_the_messages_the_bot_would_post(
    server: ApiServer, http: aiohttp.ClientSession, store: Storage
):
    headers = {"Content-Type": "text/plain"}
    async with http.post(f"{server.url}/v1/preview", data=example_bytes(), headers=headers) as r:
        assert r.status == 200
        preview = await r.json()
    assert preview["valid"] is True
    payloads = preview["payloads"]
    assert payloads["summary"]["embeds"][0]["title"]
    for message in [payloads["summary"], *payloads["article_pages"]]:
        assert check_request("POST", MESSAGES, message) == []
    assert (await store.counts())["briefs"] == 0


async def test_an_invalid_brief_previews_as_why(server: ApiServer, http: aiohttp.ClientSession):
    async with http.post(f"{server.url}/v1/preview", json={"title": "Only a title"}) as r:
        assert r.status == 422
        assert r.content_type == "application/problem+json"
        assert "what_happened" in (await r.json())["detail"]
