"""`python -m bot` as a newcomer runs it: real processes, real files, real SQLite."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.brief.text import headline
from storage.backends import open_storage, sqlite_url
from storage.models import BriefContent, utcnow
from tests.databases import BACKENDS, database_url
from tests.helpers import EXAMPLES, FIXTURES, ROOT, cli_env, run_cli


def test_run_without_token_says_how_to_set_one(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert ".env" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_its_dependencies_it_says_what_to_run_in_one_line(tmp_path: Path) -> None:
    # -S: no site-packages, as when the system's python3 runs it instead of the venv's
    result = subprocess.run(
        [sys.executable, "-S", "-m", "bot", "check", "--db", "my library.db"],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: briefbot is not installed for {sys.executable} (no ")
    venv = ROOT / ".venv" / "bin" / "python"
    if venv.exists():
        assert line.endswith(f"run: {venv} -m bot check --db 'my library.db'")
    else:
        assert "run: python3 -m venv .venv && .venv/bin/pip install -e ." in line


def test_default_command_is_run(tmp_path: Path) -> None:
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr


@pytest.mark.parametrize(
    ("argv", "func"),
    [
        ((), "command_run"),
        (("run",), "command_run"),
        (("preview", "a.txt"), "command_preview"),
        (("import", "a.txt"), "command_import"),
        (("export",), "command_export"),
        (("check",), "command_check"),
        (("migrate-db", "--to", "b.db"), "command_migrate_db"),
        (("demo",), "run_demo"),
    ],
)
def test_each_subcommand_names_its_own_function(argv: tuple[str, ...], func: str) -> None:
    """Dispatch is by subcommand: a command that names no function cannot fall through."""
    from bot.cli.main import build_parser

    assert build_parser().parse_args(argv).func.__name__ == func


def test_every_subcommand_has_a_function() -> None:
    from bot.cli.main import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) == {
        "run",
        "preview",
        "import",
        "export",
        "check",
        "migrate-db",
        "demo",
        "api",
        "source",
        "feeds",
        "token",
    }
    for name, command in sub.choices.items():
        assert callable(command.get_default("func")), name


def test_malformed_setting_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path, env={"ADMIN_USER_IDS": "alice"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "ADMIN_USER_IDS" in result.stderr


def test_settings_come_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AUTOPOST_CATCHUP_MAX=lots\n", encoding="utf-8")
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "AUTOPOST_CATCHUP_MAX" in result.stderr


@pytest.mark.parametrize("name", ["comet-weekend.txt", "harbor-bike-lanes.txt"])
def test_preview_json_is_the_real_payload(tmp_path: Path, name: str) -> None:
    result = run_cli("preview", str(EXAMPLES / name), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"brief", "summary", "article_pages"}
    (embed,) = payload["summary"]["embeds"]
    brief = BriefContent.model_validate(payload["brief"])
    title, text = headline(brief)  # an untitled brief shows its first sentence once
    assert (embed.get("title"), embed.get("description", "")) == (title, text)
    assert embed["footer"]["text"] == "Preview · not yet published"
    buttons = [c for row in payload["summary"]["components"] for c in row["components"]]
    assert [b["label"] for b in buttons] == ["More"]
    assert payload["article_pages"]
    assert "page 1/1" in payload["article_pages"][0]["embeds"][0]["footer"]["text"]
    assert not (tmp_path / "data").exists()


def test_preview_text_shows_the_summary(tmp_path: Path) -> None:
    result = run_cli("preview", str(EXAMPLES / "comet-weekend.txt"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "A bright comet returns this weekend" in result.stdout
    assert "KEY QUOTE" in result.stdout


def test_preview_invalid_file_exits_2_with_reason_only_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("👤WHO WAS INVOLVED: nobody\n", encoding="utf-8")
    result = run_cli("preview", str(bad), "--json", cwd=tmp_path)
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

    result = run_cli("import", str(folder), "--db", str(db), cwd=tmp_path)

    assert result.returncode == 1
    assert "broken.txt" in result.stderr
    assert "binary.txt" in result.stderr
    assert "Imported 2 brief(s) from 2 file(s)" in result.stderr
    exported = json.loads(run_cli("export", "--db", str(db), cwd=tmp_path).stdout)
    assert sorted(b["title"] for b in exported) == [
        "A bright comet returns this weekend",
        "The Harbor City council approved a plan to build 14 km of protected bike lanes "
        "across the downtown core.",
    ]


def test_import_all_valid_exits_0(tmp_path: Path) -> None:
    result = run_cli(
        "import", *map(str, EXAMPLES.glob("*.txt")), "--db", str(tmp_path / "x.db"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


def test_export_round_trips_through_import(tmp_path: Path) -> None:
    first = tmp_path / "first.db"
    assert run_cli("import", str(EXAMPLES), "--db", str(first), cwd=tmp_path).returncode == 0
    exported = run_cli("export", "--db", str(first), cwd=tmp_path).stdout
    dump = tmp_path / "export.json"
    dump.write_text(exported, encoding="utf-8")

    second = tmp_path / "second.db"
    imported = run_cli("import", str(dump), "--db", str(second), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    again = run_cli("export", "--db", str(second), cwd=tmp_path).stdout

    assert json.loads(again) == json.loads(exported)
    assert len(json.loads(again)) == 2


def test_reimporting_an_export_into_the_same_library_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    run_cli("import", str(EXAMPLES), "--db", str(db), cwd=tmp_path)
    dump = tmp_path / "export.json"
    dump.write_text(run_cli("export", "--db", str(db), cwd=tmp_path).stdout, encoding="utf-8")

    result = run_cli("import", str(dump), "--db", str(db), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "Imported 0 brief(s) from 1 file(s); 2 already present; 0 file(s) failed."
    ]
    assert len(json.loads(run_cli("export", "--db", str(db), cwd=tmp_path).stdout)) == 2

    forced = run_cli("import", str(dump), "--db", str(db), "--force", cwd=tmp_path)
    assert forced.returncode == 1  # an export's briefs keep their ids, which are taken
    assert "export.json: brief ids already in use" in forced.stderr
    assert len(json.loads(run_cli("export", "--db", str(db), cwd=tmp_path).stdout)) == 2


def test_reimporting_brief_files_stores_nothing_twice_unless_forced(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    first = run_cli("import", str(EXAMPLES), "--db", str(db), cwd=tmp_path)
    assert first.stderr.splitlines() == [
        f"created database {db}",
        "Imported 2 brief(s) from 2 file(s); 0 already present; 0 file(s) failed.",
    ]

    again = run_cli("import", str(EXAMPLES), "--db", str(db), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines() == [
        "Imported 0 brief(s) from 2 file(s); 2 already present; 0 file(s) failed."
    ]

    forced = run_cli("import", str(EXAMPLES), "--db", str(db), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert forced.stderr.splitlines() == ["Imported 2 brief(s) from 2 file(s); 0 file(s) failed."]
    assert len(json.loads(run_cli("export", "--db", str(db), cwd=tmp_path).stdout)) == 4


def test_import_json_files_each_all_or_nothing(tmp_path: Path) -> None:
    briefs = FIXTURES / "briefs"
    good = [briefs / "one.json", briefs / "list.json", briefs / "export.json"]
    bad = [briefs / "bad-field.json", briefs / "bad-date.json", briefs / "not-json.json"]
    db = tmp_path / "j.db"

    result = run_cli("import", *map(str, good + bad), "--db", str(db), cwd=tmp_path)

    assert result.returncode == 1
    for path in bad:
        assert path.name in result.stderr
    assert "Imported 4 brief(s) from 3 file(s); 0 already present; 3 file(s) failed." in (
        result.stderr
    )
    assert len(json.loads(run_cli("export", "--db", str(db), cwd=tmp_path).stdout)) == 4


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migrate_db_copies_the_library_and_verifies_counts(
    tmp_path: Path, backend: str
) -> None:
    source = tmp_path / "old.storage"
    assert run_cli("import", str(EXAMPLES), "--db", str(source), cwd=tmp_path).returncode == 0
    async with database_url(backend, tmp_path / "new") as target:
        moved = run_cli("migrate-db", "--from", str(source), "--to", target, cwd=tmp_path)
        assert moved.returncode == 0, moved.stderr
        assert "row counts verified" in moved.stdout
        assert "briefs" in moved.stdout
        exported = run_cli("export", "--db", target, cwd=tmp_path)
        original = run_cli("export", "--db", str(source), cwd=tmp_path)
        assert json.loads(exported.stdout) == json.loads(original.stdout)
        assert len(json.loads(exported.stdout)) == 2

        again = run_cli("migrate-db", "--from", str(source), "--to", target, cwd=tmp_path)
        assert again.returncode == 1
        assert "nothing copied" in again.stderr
        assert "not empty" in again.stderr


def test_migrate_db_defaults_to_the_configured_database(tmp_path: Path) -> None:
    configured = tmp_path / "data" / "briefs.db"
    run_cli("import", str(EXAMPLES), "--db", str(configured), cwd=tmp_path)
    moved = run_cli(
        "migrate-db", "--to", str(tmp_path / "copy.db"), cwd=tmp_path,
        env={"DATABASE_PATH": str(configured)},
    )  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert (
        len(json.loads(run_cli("export", "--db", str(tmp_path / "copy.db"), cwd=tmp_path).stdout))
        == 2
    )


def test_unknown_database_url_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("export", cwd=tmp_path, env={"DATABASE_URL": "mysql://db/briefs"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: setting DATABASE_URL: mysql://db/briefs: the database URL must "
        "start with sqlite:/// or postgresql://"
    ]


async def retracted_library(path: Path) -> None:
    """A library of three briefs: #1 corrected with a note, #2 as published, #3 retracted."""
    store = await open_storage(sqlite_url(path))
    try:
        for n in (1, 2, 3):
            await store.briefs.add(BriefContent(title=f"Brief {n}", what_happened=f"{n} happened."))
        await store.briefs.update(
            1,
            BriefContent(title="Brief 1", what_happened="One happened."),
            actor_id=7,
            note="Typo.",
        )
        await store.briefs.delete(3, actor_id=7, reason="The story was false.")
    finally:
        await store.close()


def test_export_writes_retracted_briefs_and_import_restores_them(tmp_path: Path) -> None:
    asyncio.run(retracted_library(tmp_path / "old.db"))

    exported = run_cli("export", "--db", "old.db", cwd=tmp_path)
    live = run_cli("export", "--db", "old.db", "--live-only", cwd=tmp_path)

    assert exported.returncode == live.returncode == 0
    briefs = json.loads(exported.stdout)
    assert [(b["id"], b["correction"], b["retraction"]) for b in briefs] == [
        (1, "Typo.", None), (2, None, None), (3, None, "The story was false."),
    ]  # fmt: skip
    assert briefs[2]["retracted_at"] is not None
    assert [b["id"] for b in json.loads(live.stdout)] == [1, 2]
    (tmp_path / "export.json").write_text(exported.stdout, encoding="utf-8")
    imported = run_cli("import", "export.json", "--db", "new.db", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert run_cli("export", "--db", "new.db", cwd=tmp_path).stdout == exported.stdout
    again = run_cli("import", "export.json", "--db", "new.db", cwd=tmp_path)
    assert again.stderr.splitlines() == [
        "Imported 0 brief(s) from 1 file(s); 3 already present; 0 file(s) failed."
    ]
    new = run_cli("import", str(EXAMPLES / "comet-weekend.txt"), "--db", "new.db", cwd=tmp_path)
    assert new.returncode == 0, new.stderr
    after = json.loads(run_cli("export", "--db", "new.db", cwd=tmp_path).stdout)
    assert [b["id"] for b in after] == [1, 2, 3, 4]  # the new brief never takes #3


# --- no traps: missing databases, odd files, closed pipes, full disks -----------------------


@pytest.mark.parametrize(
    "command",
    [("export",), ("migrate-db", "--to", "{tmp}/copy.db", "--from")],
    ids=["export", "migrate-db --from"],
)
def test_a_mistyped_database_is_refused_and_nothing_is_created(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    mistyped = tmp_path / "dta" / "briefs.db"
    args = [part.format(tmp=tmp_path) for part in command]
    args += [str(mistyped)] if args[0] == "migrate-db" else ["--db", str(mistyped)]

    result = run_cli(*args, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: cannot open sqlite:///{mistyped}: no such database file"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_check_fails_on_a_missing_database_and_creates_nothing(tmp_path: Path) -> None:
    result = run_cli("check", "--db", "nowhere/briefs.db", cwd=tmp_path, env={"DISCORD_TOKEN": "x"})

    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == (
        "FAIL cannot open sqlite:///nowhere/briefs.db: no such database file "
        "(`run` and `import` create it)"
    )
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_of_the_configured_database_refuses_before_the_first_run(tmp_path: Path) -> None:
    result = run_cli("export", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: cannot open sqlite:///data/briefs.db: no such database file"
    ]
    assert not (tmp_path / "data").exists()


def test_import_and_migrate_db_to_create_a_database_and_say_so(tmp_path: Path) -> None:
    db = Path("new") / "lib.db"
    created = run_cli("import", str(EXAMPLES / "comet-weekend.txt"), "--db", str(db), cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stderr.splitlines()[0] == f"created database {db}"
    again = run_cli("import", str(EXAMPLES), "--db", str(db), cwd=tmp_path)
    assert "created database" not in again.stderr

    moved = run_cli("migrate-db", "--from", str(db), "--to", "copy/lib.db", cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert moved.stderr.splitlines() == ["created database copy/lib.db"]


def test_an_import_with_nothing_to_read_creates_no_database(tmp_path: Path) -> None:
    result = run_cli("import", "missing.txt", "--db", "lib.db", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: missing.txt: no such file or folder",
        "Imported 0 brief(s) from 0 file(s); 0 already present; 1 file(s) failed.",
    ]
    assert list(tmp_path.iterdir()) == []


def test_devices_and_fifos_are_refused_and_the_other_files_still_go_in(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    good = EXAMPLES / "comet-weekend.txt"

    result = run_cli("import", "/dev/zero", str(fifo), str(good), "--db", "lib.db", cwd=tmp_path)

    assert result.returncode == 1
    assert "skipped /dev/zero: not a regular file (a device, FIFO or socket)" in result.stderr
    assert f"skipped {fifo}: not a regular file" in result.stderr
    assert "Imported 1 brief(s) from 1 file(s); 0 already present; 2 file(s) failed." in (
        result.stderr
    )


def test_preview_refuses_a_device(tmp_path: Path) -> None:
    result = run_cli("preview", "/dev/zero", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: /dev/zero: not a regular file (a device, FIFO or socket)"
    ]


def test_a_bad_date_or_id_in_one_json_file_leaves_the_others_to_go_in(tmp_path: Path) -> None:
    folder = tmp_path / "backup"
    folder.mkdir()
    bad = {
        "date.json": {"title": "t", "what_happened": "w", "published_at": "9999-12-31T23:59-05:00"},
        "created.json": {"id": 7, "created_at": "0001-01-01T00:00+05:00", "title": "t",
                         "what_happened": "w"},
        "id.json": {"id": 10**30, "created_at": "2026-01-01T00:00Z", "title": "t",
                    "what_happened": "w"},
    }  # fmt: skip
    for name, item in bad.items():
        (folder / name).write_text(json.dumps(item), encoding="utf-8")
    (folder / "good.txt").write_bytes((EXAMPLES / "comet-weekend.txt").read_bytes())

    result = run_cli("import", str(folder), "--db", "lib.db", cwd=tmp_path)

    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert sorted(failed) == [
        f'skipped {folder / "created.json"}: field "created_at": must fall between the years 1 '
        "and 9999 in UTC",
        f'skipped {folder / "date.json"}: field "published_at": must fall between the years 1 '
        "and 9999 in UTC",
        f'skipped {folder / "id.json"}: field "id": input should be less than or equal to '
        "9223372036854775807",
    ]
    assert "Imported 1 brief(s) from 1 file(s); 0 already present; 3 file(s) failed." in (
        result.stderr
    )


def big_library(tmp_path: Path, briefs: int = 300) -> Path:
    """A library whose export is far larger than a pipe's buffer."""
    items = [
        {"title": f"Brief {n}", "what_happened": f"Event {n} happened.", "body": "Words. " * 100}
        for n in range(briefs)
    ]
    source = tmp_path / "many.json"
    source.write_text(json.dumps(items), encoding="utf-8")
    db = tmp_path / "lib.db"
    assert run_cli("import", str(source), "--db", str(db), cwd=tmp_path).returncode == 0
    return db


def test_export_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    db = big_library(tmp_path)
    exporter = subprocess.Popen(
        [sys.executable, "-m", "bot", "export", "--db", str(db)],
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # like `export | head -c 100`
    assert exporter.stdout is not None
    assert exporter.stderr is not None
    assert exporter.stdout.read(100).startswith(b"[")
    exporter.stdout.close()
    errors = exporter.stderr.read().decode()
    exporter.wait(timeout=120)

    assert exporter.returncode == 141
    assert errors == ""


@pytest.mark.parametrize(
    "command",
    [("export", "--db", "lib.db"), ("preview", str(EXAMPLES / "comet-weekend.txt"), "--json")],
    ids=["export", "preview"],
)
def test_a_full_disk_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    big_library(tmp_path, briefs=3)
    with open("/dev/full", "w") as full:
        result = run_cli(*command, cwd=tmp_path, stdout=full)

    assert result.returncode == 1
    assert result.stderr.splitlines() == ["error: cannot write: No space left on device"]


# --- only a briefbot library is ever written ------------------------------------------------


def notes_file(path: Path) -> bytes:
    """Make another program's SQLite database (a table `notes`); return its bytes."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('buy milk')")
    return path.read_bytes()


@pytest.mark.parametrize(
    "command",
    [
        ("export", "--db", "notes.db"),
        ("import", str(EXAMPLES), "--db", "notes.db"),
        ("migrate-db", "--from", "notes.db", "--to", "copy.db"),
        ("migrate-db", "--from", "lib.db", "--to", "notes.db"),
        ("demo", "--db", "notes.db", "--write", "--no-browser"),
        ("demo", "--db", "notes.db", "--no-browser"),
    ],
    ids=["export", "import", "migrate-db --from", "migrate-db --to", "demo --write", "demo"],
)
def test_another_programs_database_is_refused_in_one_line_and_left_unchanged(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    run_cli("import", str(EXAMPLES), "--db", "lib.db", cwd=tmp_path)
    before = notes_file(tmp_path / "notes.db")
    files = sorted(p.name for p in tmp_path.iterdir())

    result = run_cli(*command, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: cannot open sqlite:///notes.db: not a briefbot library"
        " (it holds other tables: notes); nothing was changed"
    ]
    assert (tmp_path / "notes.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # no copy.db, no journal


async def held_library(path: Path) -> None:
    """#1 published, #2 held until tomorrow, #3 held and withdrawn."""
    store = await open_storage(sqlite_url(path))
    tomorrow = utcnow() + timedelta(days=1)
    try:
        await store.briefs.add(BriefContent(title="Out", what_happened="It is out."))
        for n in (2, 3):
            held = BriefContent(title=f"Held {n}", what_happened="Not yet.", release_at=tomorrow)
            await store.briefs.add(held)
        await store.briefs.delete(3, actor_id=7)
    finally:
        await store.close()


def test_export_leaves_held_briefs_out_unless_asked_and_import_holds_them_again(
    tmp_path: Path,
) -> None:
    asyncio.run(held_library(tmp_path / "old.db"))

    plain = run_cli("export", "--db", "old.db", cwd=tmp_path)
    every = run_cli("export", "--db", "old.db", "--scheduled", cwd=tmp_path)

    assert plain.returncode == every.returncode == 0
    assert [b["id"] for b in json.loads(plain.stdout)] == [1]
    briefs = json.loads(every.stdout)
    assert [(b["id"], b["release_at"] is not None) for b in briefs] == [
        (1, False), (2, True), (3, True),
    ]  # fmt: skip
    (tmp_path / "export.json").write_text(every.stdout, encoding="utf-8")
    imported = run_cli("import", "export.json", "--db", "new.db", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert [
        b["id"] for b in json.loads(run_cli("export", "--db", "new.db", cwd=tmp_path).stdout)
    ] == [1]
    again = run_cli("export", "--db", "new.db", "--scheduled", cwd=tmp_path)
    assert again.stdout == every.stdout
