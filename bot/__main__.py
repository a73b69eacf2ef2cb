"""Allow `python -m bot`.

Run by a Python that cannot run the bot (too old, or without its dependencies: the system's
python3 rather than the virtual environment's), it says what to run instead, in one line.
"""

import shlex
import sys
from pathlib import Path

#: The exit code of a usage or setup problem (bot.cli.output.EXIT_USAGE, unimportable here).
EXIT_USAGE = 2
#: Where the README's commands make the virtual environment: the clone's `.venv`.
VENV_PYTHON = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "python"


def instead() -> str:
    """Return the command to run instead: this one with the clone's virtual environment, or
    the README's install command when there is none yet."""
    if not VENV_PYTHON.exists():
        return "python3 -m venv .venv && .venv/bin/pip install -e . (see README.md)"
    try:
        python = VENV_PYTHON.relative_to(Path.cwd())
    except ValueError:
        python = VENV_PYTHON
    return shlex.join([str(python), "-m", "bot", *sys.argv[1:]])


# pyproject's requires-python stops pip, not a clone run directly by an older python3.
if sys.version_info < (3, 11):  # noqa: UP036
    version = ".".join(map(str, sys.version_info[:2]))
    print(f"error: briefbot needs Python 3.11 or newer, not {version}", file=sys.stderr)
    sys.exit(EXIT_USAGE)

try:
    from bot.cli import main
except ModuleNotFoundError as error:
    if (error.name or "").partition(".")[0] in ("bot", "storage"):
        raise  # our own code is broken: show where
    print(
        f"error: briefbot's dependencies are not installed for {sys.executable}"
        f" (no module named {error.name!r}); run: {instead()}",
        file=sys.stderr,
    )
    sys.exit(EXIT_USAGE)

if __name__ == "__main__":
    sys.exit(main())
