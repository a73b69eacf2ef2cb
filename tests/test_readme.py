"""The README's commands run as written, from a clone, with no virtual environment activated;
the service unit it points to runs the bot from the clone it names."""

from __future__ import annotations

import configparser
import re
import shlex

from tests.helpers import ROOT

README = ROOT / "README.md"
UNIT = ROOT / "docs" / "deploy" / "briefbot.service"
#: Programs that exist only inside the virtual environment (or are pip's, meant for it).
VENV_PROGRAMS = ("python", "pip", "pytest", "ruff", "mypy", "briefbot")


def shell_lines(text: str) -> list[str]:
    """Return the lines of every ```bash block, continuation lines joined."""
    blocks = re.findall(r"^ *```bash\n(.*?)^ *```", text, flags=re.MULTILINE | re.DOTALL)
    joined = "\n".join(blocks).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


def programs(line: str) -> list[str]:
    """Return the program each command of a shell line runs (after any VAR=value)."""
    words = shlex.split(line, comments=True)
    found: list[str] = []
    expect_program = True
    redirected = False
    for word in words:
        if word in ("&&", "||", "|", ";"):
            expect_program = True
            continue
        if redirected or word in (">", ">>"):  # the file written, not a program
            redirected = not redirected
            continue
        if expect_program and not re.fullmatch(r"[A-Z_]+=.*", word):
            found.append(word)
            expect_program = False
    return found


def test_every_command_calls_the_virtual_environment_by_its_path() -> None:
    lines = shell_lines(README.read_text(encoding="utf-8"))
    assert len(lines) > 20
    bare = [line for line in lines for program in programs(line) if program in VENV_PROGRAMS]
    assert bare == [], "activate nothing: call .venv/bin/<program>"
    assert any(".venv/bin/python -m bot run" in line for line in lines)


def test_the_service_unit_runs_the_bot_from_its_clone() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read_string(UNIT.read_text(encoding="utf-8"))
    service = unit["Service"]
    clone = service["WorkingDirectory"]
    assert service["ExecStart"] == f"{clone}/.venv/bin/python -m bot run"
    assert service["ReadWritePaths"] == f"{clone}/data"  # DATABASE_PATH's default folder
    assert service["RestartPreventExitStatus"] == "2"  # a setting to fix: no restart loop
    assert "docs/deploy/briefbot.service" in README.read_text(encoding="utf-8")
