"""kill -9 of the API process during a POST: the brief is stored whole or not at all, and a
retry with the same Idempotency-Key leaves one brief."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
from pathlib import Path

import aiohttp
import pytest

from storage.backends import open_storage
from storage.library import Storage
from tests.helpers import PROCESS_TIMEOUT, start_cli

BRIEF = {
    "title": "Night trains return",
    "what_happened": "Sleeper services resume in March.",
    "body": "A long article. " * 500,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def started(
    url: str, cwd: Path, http: aiohttp.ClientSession
) -> tuple[subprocess.Popen[str], int]:
    """Start `python -m bot api` on a free port; return it and its port once /healthz answers."""
    port = free_port()
    process = start_cli("api", "--listen", str(port), "--db", url, cwd=cwd)
    for _ in range(200):
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                if response.status == 200:
                    return process, port
        except aiohttp.ClientError:
            pass
        assert process.poll() is None, process.communicate()[1]
        await asyncio.sleep(0.05)
    raise AssertionError("the API did not start")


async def push(http: aiohttp.ClientSession, port: int, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "story-9"}
    url = f"http://127.0.0.1:{port}/v1/sources/cms/briefs"
    async with http.post(url, json=BRIEF, headers=headers) as response:
        return response.status


@pytest.mark.parametrize("delay", [0.0, 0.005, 0.02])
async def test_a_post_cut_by_kill_9_is_whole_or_absent_and_a_retry_stores_one(
    backend: str, store: Storage, tmp_path: Path, delay: float
):
    await store.sources.add("cms")
    _, token = await store.tokens.create("cms", "Newsdesk")
    async with aiohttp.ClientSession() as http:
        api, port = await started(store.url, tmp_path, http)
        request = asyncio.ensure_future(push(http, port, token))
        await asyncio.sleep(delay)
        api.send_signal(signal.SIGKILL)
        api.communicate(timeout=PROCESS_TIMEOUT)
        await asyncio.gather(request, return_exceptions=True)

        reader = await open_storage(store.url)
        try:
            cut = await reader.briefs.by_external("cms", "idempotency-key:story-9")
            assert cut is None or (cut.title, cut.body) == (BRIEF["title"], BRIEF["body"])
        finally:
            await reader.close()

        again, port = await started(store.url, tmp_path, http)
        try:
            assert await push(http, port, token) == 201
            assert await push(http, port, token) == 201
        finally:
            again.send_signal(signal.SIGTERM)
            again.communicate(timeout=PROCESS_TIMEOUT)
    assert (await store.counts())["briefs"] == 1
    stored = await store.briefs.by_external("cms", "idempotency-key:story-9")
    assert stored is not None
    assert stored.body == BRIEF["body"]
