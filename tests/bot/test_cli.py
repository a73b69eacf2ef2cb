"""`python -m bot` as a newcomer runs it: real processes, real files, real SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, FIXTURES
from tests.databases import BACKENDS, database_url

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a clean environment (no token, no .env) from `cwd`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    clean["PYTHONPATH"] = str(ROOT)
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_without_token_says_how_to_set_one(tmp_path: Path) -> None:
    result = run("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert ".env" in result.stderr
    assert "Traceback" not in result.stderr


def test_default_command_is_run(tmp_path: Path) -> None:
    result = run(cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr


def test_malformed_setting_is_one_clear_line(tmp_path: Path) -> None:
    result = run("run", cwd=tmp_path, env={"ADMIN_USER_IDS": "alice"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "ADMIN_USER_IDS" in result.stderr


def test_settings_come_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AUTOPOST_CATCHUP_MAX=lots\n", encoding="utf-8")
    result = run("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "AUTOPOST_CATCHUP_MAX" in result.stderr


@pytest.mark.parametrize("name", ["comet-weekend.txt", "harbor-bike-lanes.txt"])
def test_preview_json_is_the_real_payload(tmp_path: Path, name: str) -> None:
    result = run("preview", str(EXAMPLES / name), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"brief", "summary", "article_pages"}
    (embed,) = payload["summary"]["embeds"]
    assert embed["description"] == payload["brief"]["what_happened"]
    assert embed["footer"]["text"] == "Preview · not yet published"
    buttons = [c for row in payload["summary"]["components"] for c in row["components"]]
    assert [b["label"] for b in buttons] == ["More"]
    assert payload["article_pages"]
    assert "page 1/1" in payload["article_pages"][0]["embeds"][0]["footer"]["text"]
    assert not (tmp_path / "data").exists()


def test_preview_text_shows_the_summary(tmp_path: Path) -> None:
    result = run("preview", str(EXAMPLES / "comet-weekend.txt"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "A bright comet returns this weekend" in result.stdout
    assert "KEY QUOTE" in result.stdout


def test_preview_invalid_file_exits_2_with_reason_only_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("👤WHO WAS INVOLVED: nobody\n", encoding="utf-8")
    result = run("preview", str(bad), "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "WHAT HAPPENED" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_folder_skips_bad_files_and_stores_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for path in EXAMPLES.glob("*.txt"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "broken.txt").write_text("no labels at all", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\xff\xfe\x00\x01garbage")
    db = tmp_path / "lib.db"

    result = run("import", str(folder), "--db", str(db), cwd=tmp_path)

    assert result.returncode == 1
    assert "broken.txt" in result.stderr
    assert "binary.txt" in result.stderr
    assert "Imported 2 brief(s) from 2 file(s)" in result.stderr
    exported = json.loads(run("export", "--db", str(db), cwd=tmp_path).stdout)
    assert sorted(b["title"] for b in exported) == [
        "A bright comet returns this weekend",
        "The Harbor City council approved a plan to build 14 km of protected bike lanes "
        "across the downtown core.",
    ]


def test_import_all_valid_exits_0(tmp_path: Path) -> None:
    result = run(
        "import", *map(str, EXAMPLES.glob("*.txt")), "--db", str(tmp_path / "x.db"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


def test_export_round_trips_through_import(tmp_path: Path) -> None:
    first = tmp_path / "first.db"
    assert run("import", str(EXAMPLES), "--db", str(first), cwd=tmp_path).returncode == 0
    exported = run("export", "--db", str(first), cwd=tmp_path).stdout
    dump = tmp_path / "export.json"
    dump.write_text(exported, encoding="utf-8")

    second = tmp_path / "second.db"
    imported = run("import", str(dump), "--db", str(second), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    again = run("export", "--db", str(second), cwd=tmp_path).stdout

    assert json.loads(again) == json.loads(exported)
    assert len(json.loads(again)) == 2


def test_reimporting_an_export_into_the_same_library_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    run("import", str(EXAMPLES), "--db", str(db), cwd=tmp_path)
    dump = tmp_path / "export.json"
    dump.write_text(run("export", "--db", str(db), cwd=tmp_path).stdout, encoding="utf-8")

    result = run("import", str(dump), "--db", str(db), cwd=tmp_path)

    assert result.returncode == 1
    assert "export.json" in result.stderr
    assert len(json.loads(run("export", "--db", str(db), cwd=tmp_path).stdout)) == 2


def test_import_json_files_each_all_or_nothing(tmp_path: Path) -> None:
    briefs = FIXTURES / "briefs"
    good = [briefs / "one.json", briefs / "list.json", briefs / "export.json"]
    bad = [briefs / "bad-field.json", briefs / "bad-date.json", briefs / "not-json.json"]
    db = tmp_path / "j.db"

    result = run("import", *map(str, good + bad), "--db", str(db), cwd=tmp_path)

    assert result.returncode == 1
    for path in bad:
        assert path.name in result.stderr
    assert "Imported 4 brief(s) from 3 file(s); 3 file(s) failed." in result.stderr
    assert len(json.loads(run("export", "--db", str(db), cwd=tmp_path).stdout)) == 4


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migrate_db_copies_the_library_and_verifies_counts(
    tmp_path: Path, backend: str
) -> None:
    source = tmp_path / "old.db"
    assert run("import", str(EXAMPLES), "--db", str(source), cwd=tmp_path).returncode == 0
    async with database_url(backend, tmp_path / "new") as target:
        moved = run("migrate-db", "--from", str(source), "--to", target, cwd=tmp_path)
        assert moved.returncode == 0, moved.stderr
        assert "row counts verified" in moved.stdout
        assert "briefs" in moved.stdout
        exported = run("export", "--db", target, cwd=tmp_path)
        original = run("export", "--db", str(source), cwd=tmp_path)
        assert json.loads(exported.stdout) == json.loads(original.stdout)
        assert len(json.loads(exported.stdout)) == 2

        again = run("migrate-db", "--from", str(source), "--to", target, cwd=tmp_path)
        assert again.returncode == 1
        assert "nothing copied" in again.stderr
        assert "not empty" in again.stderr


def test_migrate_db_defaults_to_the_configured_database(tmp_path: Path) -> None:
    configured = tmp_path / "data" / "briefs.db"
    run("import", str(EXAMPLES), "--db", str(configured), cwd=tmp_path)
    moved = run(
        "migrate-db", "--to", str(tmp_path / "copy.db"), cwd=tmp_path,
        env={"DATABASE_PATH": str(configured)},
    )  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert (
        len(json.loads(run("export", "--db", str(tmp_path / "copy.db"), cwd=tmp_path).stdout)) == 2
    )


def test_unknown_database_url_is_one_clear_line(tmp_path: Path) -> None:
    result = run("export", cwd=tmp_path, env={"DATABASE_URL": "mysql://db/briefs"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: setting DATABASE_URL: mysql://db/briefs: the database URL must "
        "start with sqlite:/// or postgresql://"
    ]
