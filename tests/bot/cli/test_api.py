"""`python -m bot api`: the API alone, served until SIGTERM, which ends it normally."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.cli.output import EXIT_OK, EXIT_USAGE
from tests.helpers import PROCESS_TIMEOUT, run_cli, start_cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, deadline: float) -> tuple[int, dict]:
    """GET a URL, retrying while the server is still starting."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, json.load(response)
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_api_serves_on_a_bare_port_on_loopback_and_stops_on_sigterm(tmp_path: Path):
    port = free_port()
    process = start_cli("api", "--listen", str(port), "--db", str(tmp_path / "b.db"), cwd=tmp_path)
    try:
        status, health = get(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 20)
        assert (status, health["database"]) == (200, True)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=PROCESS_TIMEOUT)
    assert process.returncode == EXIT_OK, err
    assert f"serving the API on http://127.0.0.1:{port}" in err
    assert (tmp_path / "b.db").exists()


def test_api_refuses_a_listen_address_that_is_not_one(tmp_path: Path):
    result = run_cli("api", "--listen", "localhost:http", cwd=tmp_path)
    assert result.returncode == EXIT_USAGE
    assert "--listen: 'localhost:http' is not HOST:PORT" in result.stderr


def test_api_says_when_its_port_is_taken(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("api", "--listen", f"127.0.0.1:{port}", "--db", "b.db", cwd=tmp_path)
    assert result.returncode != EXIT_OK
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr
