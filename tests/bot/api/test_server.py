"""The server itself, over real HTTP: health, metrics, the OpenAPI document, problems, limits."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.api import OPENAPI_URL, ApiServer, create_api, serving
from bot.config import Settings
from storage.library import Storage

PROBLEM = "application/problem+json"


async def test_health_says_the_database_answers(server: ApiServer, http: aiohttp.ClientSession):
    async with http.get(f"{server.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {
            "status": "ok",
            "database": True,
            "shards": None,
            "last_sweep_at": None,
        }


async def test_health_says_when_the_database_is_gone(
    store: Storage, api_settings: Settings, http: aiohttp.ClientSession
):
    async with serving(create_api(store, api_settings), "127.0.0.1", 0) as server:
        await store.close()
        async with http.get(f"{server.url}/healthz") as response:
            assert response.status == 503
            assert (await response.json())["database"] is False


async def test_it_listens_on_loopback_at_the_port_asked(server: ApiServer):
    host, port = server.address
    assert host == "127.0.0.1"
    assert port > 0


async def test_answers_are_sent_without_waiting_for_the_clients_ack(
    server: ApiServer, http: aiohttp.ClientSession
):
    """Nagle's algorithm is off on every connection: with it on, an answer's body waits for
    the client's delayed ACK of its headers, 40 ms a request on a kept-alive connection."""
    async with http.get(f"{server.url}/healthz") as response:
        await response.read()
    # uvicorn's own record of the connections it serves (no public accessor)
    connections = server._server.server_state.connections
    assert connections
    for protocol in connections:
        sock = protocol.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


async def test_an_unknown_path_is_a_problem_document(
    server: ApiServer, http: aiohttp.ClientSession
):
    async with http.get(f"{server.url}/v1/nothing-here") as response:
        assert response.status == 404
        assert response.content_type == PROBLEM
        assert await response.json() == {"type": "about:blank", "title": "Not Found", "status": 404}


async def test_a_wrong_method_is_a_problem_document(server: ApiServer, http: aiohttp.ClientSession):
    async with http.delete(f"{server.url}/healthz") as response:
        assert response.status == 405
        assert response.content_type == PROBLEM
        assert (await response.json())["status"] == 405


async def test_a_body_over_the_cap_is_refused_before_it_is_read(
    server: ApiServer, http: aiohttp.ClientSession
):
    body = b"x" * (256 * 1024 + 1)
    async with http.put(f"{server.url}/v1/sources/cms/briefs/a", data=body) as response:
        assert response.status == 413
        assert response.content_type == PROBLEM
        assert "262144 bytes" in (await response.json())["detail"]


async def test_metrics_count_requests_by_status(server: ApiServer, http: aiohttp.ClientSession):
    for path in ("/healthz", "/healthz", "/missing"):
        async with http.get(f"{server.url}{path}"):
            pass
    async with http.get(f"{server.url}/metrics") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    assert 'briefbot_api_requests_total{status="200"} 2.0' in text
    assert 'briefbot_api_requests_total{status="404"} 1.0' in text


async def test_the_openapi_document_is_served_and_no_cdn_docs_page(
    server: ApiServer, http: aiohttp.ClientSession
):
    async with http.get(f"{server.url}{OPENAPI_URL}") as response:
        assert response.status == 200
        document = await response.json()
    assert document["openapi"].startswith("3.1")
    assert "/healthz" in document["paths"]
    for page in ("/docs", "/redoc"):
        async with http.get(f"{server.url}{page}") as response:
            assert response.status == 404


async def test_a_taken_port_is_an_error_and_the_first_server_keeps_serving(
    server: ApiServer, store: Storage, api_settings: Settings, http: aiohttp.ClientSession
):
    _, port = server.address
    with pytest.raises(OSError, match="in use"):
        async with serving(create_api(store, api_settings), "127.0.0.1", port):
            pass
    async with http.get(f"{server.url}/healthz") as response:
        assert response.status == 200
