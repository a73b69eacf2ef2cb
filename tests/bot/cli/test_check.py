"""`python -m bot check` and the command-payload rules it applies."""

from __future__ import annotations

from pathlib import Path

from bot.cli.check import payload_problems
from storage.postgres.migrations import latest_version
from tests.databases import postgres_schema
from tests.helpers import EXAMPLES, run_cli


def new_library(cwd: Path, *db: str) -> None:
    """Create a library the way a newcomer does before `check` (`run` would, too)."""
    created = run_cli("import", str(EXAMPLES / "comet-weekend.txt"), *db, cwd=cwd)
    assert created.returncode == 0, created.stderr


def command(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {"name": "brief", "description": "Read briefs", "options": []}
    base.update(overrides)
    return base


def test_valid_payload_has_no_problems() -> None:
    assert list(payload_problems([command()])) == []


def test_payload_rules_catch_what_discord_would_reject() -> None:
    bad = [
        command(name="Brief"),
        command(name="x" * 33),
        command(description=""),
        command(
            options=[
                {"type": 3, "name": "a", "description": "d", "required": False},
                {"type": 3, "name": "b", "description": "d", "required": True},
            ]
        ),
        command(options=[{"type": 3, "name": f"o{i}", "description": "d"} for i in range(26)]),
        command(
            description="d" * 100,
            options=[
                {
                    "type": 3,
                    "name": "o",
                    "description": "d" * 100,
                    "choices": [{"name": "c" * 100, "value": "v" * 100}] * 25,
                }
            ],
        ),
    ]
    problems = list(payload_problems(bad))
    assert any("invalid name 'Brief'" in p for p in problems)
    assert any("invalid name 'xxx" in p for p in problems)
    assert any("description must be" in p for p in problems)
    assert any("follows an optional one" in p for p in problems)
    assert any("26 options" in p for p in problems)
    assert any("characters; the limit is 4000" in p for p in problems)


def test_check_command_passes_on_a_fresh_setup(tmp_path: Path) -> None:
    missing = run_cli("check", cwd=tmp_path, env={"DISCORD_TOKEN": "not-a-real-token"})
    assert missing.returncode == 1
    assert "no such database file" in missing.stdout
    assert not (tmp_path / "data").exists()
    new_library(tmp_path)

    result = run_cli("check", cwd=tmp_path, env={"DISCORD_TOKEN": "not-a-real-token"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   command payloads valid (/autopost, /brief, /feed)" in result.stdout
    assert "ok   integrity check ok" in result.stdout
    assert "next start syncs globally" in result.stdout
    assert "Traceback" not in result.stderr


def test_check_fails_without_token_but_still_checks_the_rest(tmp_path: Path) -> None:
    new_library(tmp_path, "--db", str(tmp_path / "x.db"))
    result = run_cli("check", "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert result.returncode == 1
    assert "FAIL DISCORD_TOKEN is not set" in result.stdout
    assert "ok   schema version" in result.stdout


async def test_check_on_postgresql_hides_the_password(tmp_path: Path) -> None:
    async with postgres_schema() as url:
        secret = with_password(url, "s3cret")
        result = run_cli("check", cwd=tmp_path, env={"DISCORD_TOKEN": "x", "DATABASE_URL": url})
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"ok   schema version {latest_version()} of {latest_version()}" in result.stdout
        assert "ok   integrity check ok" in result.stdout
        assert "ok   0 brief(s) stored" in result.stdout

        refused = run_cli("check", "--db", secret, cwd=tmp_path, env={"DISCORD_TOKEN": "x"})
        assert "s3cret" not in refused.stdout + refused.stderr
        assert "Traceback" not in refused.stderr


def with_password(url: str, password: str) -> str:
    """The same server URL, logging in with a password (the test server trusts everyone)."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{password}@", 1)


def test_unreachable_database_is_one_failed_check(tmp_path: Path) -> None:
    url = "postgresql://bot:s3cret@127.0.0.1:1/briefs"  # nothing listens on port 1
    result = run_cli("check", cwd=tmp_path, env={"DISCORD_TOKEN": "x", "DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith(
        "FAIL cannot open postgresql://bot:***@127.0.0.1:1/briefs: "
    )
    assert "s3cret" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


async def test_missing_postgresql_database_is_one_line(tmp_path: Path) -> None:
    async with postgres_schema() as url:
        missing = url.split("?")[0].rsplit("/", 1)[0] + "/no_such_database"
        result = run_cli("export", "--db", missing, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f'error: cannot open {missing}: database "no_such_database" does not exist'
        ]


def test_check_shows_the_shard_layout(tmp_path: Path) -> None:
    new_library(tmp_path, "--db", str(tmp_path / "a.db"))
    default = run_cli("check", "--db", str(tmp_path / "a.db"), cwd=tmp_path)
    assert "ok   shards: as many as Discord recommends, all in this process" in default.stdout
    split = run_cli(
        "check", "--db", str(tmp_path / "a.db"), cwd=tmp_path,
        env={"SHARD_COUNT": "4", "SHARD_IDS": "2,3"},
    )  # fmt: skip
    assert "ok   shards: 2, 3 of 4" in split.stdout
