"""Allow `python -m bot`.

Run by a Python that cannot run the bot (too old, or without its dependencies: the system's
python3 rather than the virtual environment's), it says what to run instead, in one line.
"""

import re
import shlex
import sys
from importlib import metadata
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


def missing_dependency() -> str | None:
    """Name what this Python lacks to run the bot (briefbot itself, or one of the
    dependencies pyproject.toml lists), or None when it has them all."""
    try:
        requirements = metadata.requires("briefbot") or []
    except metadata.PackageNotFoundError:
        return "briefbot"
    for requirement in requirements:
        if "extra ==" in requirement:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        try:
            metadata.distribution(name[0] if name else requirement)
        except metadata.PackageNotFoundError:
            return name[0] if name else requirement
    return None


# pyproject's requires-python stops pip, not a clone run directly by an older python3.
if sys.version_info < (3, 11):  # noqa: UP036
    version = ".".join(map(str, sys.version_info[:2]))
    print(f"error: briefbot needs Python 3.11 or newer, not {version}", file=sys.stderr)
    sys.exit(EXIT_USAGE)

if missing := missing_dependency():
    print(
        f"error: briefbot is not installed for {sys.executable} (no {missing}); run: {instead()}",
        file=sys.stderr,
    )
    sys.exit(EXIT_USAGE)

from bot.cli import main  # noqa: E402  (only once the dependencies are known to be there)

if __name__ == "__main__":
    sys.exit(main())
