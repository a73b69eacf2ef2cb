"""`python -m bot source` and `token` as an operator runs them: real processes, a real
SQLite file; the token alone on stdout, once, and only its hash in the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.backends import open_storage, sqlite_url
from storage.tokens import PREFIX, token_hash
from tests.helpers import run_cli


async def stored_hashes(path: Path) -> list[str]:
    store = await open_storage(sqlite_url(path))
    try:
        async with store.db.read() as conn:
            rows = await conn.fetch("SELECT token_hash FROM tokens ORDER BY id")
        return [row["token_hash"] for row in rows]
    finally:
        await store.close()


async def requires_review(path: Path) -> dict[str, bool]:
    store = await open_storage(sqlite_url(path))
    try:
        return {source.name: source.requires_review for source in await store.sources.list()}
    finally:
        await store.close()


def test_token_create_prints_the_token_alone_once_and_stores_its_hash(tmp_path: Path) -> None:
    added = run_cli(
        "source", "add", "cms", "--label", "Newsroom CMS", "--db", "lib.db", cwd=tmp_path
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout == ""

    created = run_cli(
        "token", "create", "--source", "cms", "--label", "staging", "--db", "lib.db", cwd=tmp_path
    )

    assert created.returncode == 0, created.stderr
    (secret,) = created.stdout.splitlines()
    assert created.stdout == secret + "\n"
    assert secret.startswith(PREFIX)
    assert secret not in created.stderr
    assert asyncio.run(stored_hashes(tmp_path / "lib.db")) == [token_hash(secret)]
    listed = run_cli("token", "list", "--db", "lib.db", cwd=tmp_path)
    assert listed.returncode == 0
    assert secret not in listed.stdout
    (line,) = listed.stdout.splitlines()
    assert line.split("\t")[:3] == ["1", "cms", "staging"]
    assert line.endswith("\tlive")


def test_sources_are_added_listed_and_removed(tmp_path: Path) -> None:
    for args in (("cms", "--label", "Newsroom CMS"), ("wire", "--signed")):
        assert run_cli("source", "add", *args, "--db", "lib.db", cwd=tmp_path).returncode == 0

    listed = run_cli("source", "list", "--db", "lib.db", cwd=tmp_path)
    assert listed.stdout.splitlines() == ["cms\tNewsroom CMS\t-\t-", "wire\t-\tsigned\t-"]

    removed = run_cli("source", "remove", "wire", "--db", "lib.db", cwd=tmp_path)
    assert removed.returncode == 0
    again = run_cli("source", "remove", "wire", "--db", "lib.db", cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr.splitlines() == ["error: no source is named 'wire'"]
    listed = run_cli("source", "list", "--db", "lib.db", cwd=tmp_path)
    assert listed.stdout.splitlines() == ["cms\tNewsroom CMS\t-\t-"]


def test_a_source_added_with_review_is_listed_so_and_review_is_turned_off_and_on(
    tmp_path: Path,
) -> None:
    added = run_cli("source", "add", "wire", "--review", "--db", "lib.db", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert added.stdout == ""
    assert "wait for an editor's approval" in added.stderr
    assert run_cli("source", "add", "cms", "--db", "lib.db", cwd=tmp_path).returncode == 0
    listed = run_cli("source", "list", "--db", "lib.db", cwd=tmp_path)
    assert listed.stdout.splitlines() == ["cms\t-\t-\t-", "wire\t-\t-\treview"]

    steps = [
        ("wire", "off", "source wire no longer requires review"),
        ("wire", "off", "source wire already does not require review; unchanged"),
        ("cms", "on", "source cms now requires review"),
        ("cms", "on", "source cms already requires review; unchanged"),
    ]
    for name, state, said in steps:
        result = run_cli("source", "review", name, state, "--db", "lib.db", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(said), line

    listed = run_cli("source", "list", "--db", "lib.db", cwd=tmp_path)
    assert listed.stdout.splitlines() == ["cms\t-\t-\treview", "wire\t-\t-\t-"]
    assert asyncio.run(requires_review(tmp_path / "lib.db")) == {"cms": True, "wire": False}


def test_a_signed_source_prints_its_webhook_secret_alone(tmp_path: Path) -> None:
    added = run_cli("source", "add", "cms", "--signed", "--db", "lib.db", cwd=tmp_path)

    assert added.returncode == 0, added.stderr
    (secret,) = added.stdout.splitlines()
    assert secret.startswith("whsec_")
    listed = run_cli("source", "list", "--db", "lib.db", cwd=tmp_path)
    assert listed.stdout.splitlines() == ["cms\t-\tsigned\t-"]


def test_mistakes_are_one_line_with_their_exit_codes(tmp_path: Path) -> None:
    assert run_cli("source", "add", "cms", "--db", "lib.db", cwd=tmp_path).returncode == 0
    cases = [
        (("source", "add", "CMS"), 2, "error: 'CMS' is not a source name"),
        (("source", "add", "cli"), 2, "error: 'cli' is reserved"),
        (("source", "add", "cms"), 1, "error: a source named 'cms' already exists"),
        (("token", "create", "--source", "nope"), 1, "error: no source is named 'nope'"),
        (("token", "revoke", "7"), 1, "error: no live token has the id 7"),
        (("source", "review", "nope", "on"), 1, "error: no source is named 'nope'"),
    ]
    for args, code, start in cases:
        result = run_cli(*args, "--db", "lib.db", cwd=tmp_path)
        assert result.returncode == code, args
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(start), line
    missing = run_cli("token", "list", "--db", "missing.db", cwd=tmp_path)
    assert missing.returncode == 1
    assert len(missing.stderr.splitlines()) == 1
    assert not (tmp_path / "missing.db").exists()


def test_a_revoked_token_is_listed_as_revoked(tmp_path: Path) -> None:
    run_cli("source", "add", "cms", "--db", "lib.db", cwd=tmp_path)
    secret = run_cli("token", "create", "--source", "cms", "--db", "lib.db", cwd=tmp_path).stdout

    revoked = run_cli("token", "revoke", "1", "--db", "lib.db", cwd=tmp_path)

    assert revoked.returncode == 0
    assert revoked.stdout == ""
    listed = run_cli("token", "list", "--source", "cms", "--db", "lib.db", cwd=tmp_path)
    assert "\trevoked " in listed.stdout
    assert secret.strip() not in listed.stdout
    assert run_cli("token", "revoke", "1", "--db", "lib.db", cwd=tmp_path).returncode == 1
