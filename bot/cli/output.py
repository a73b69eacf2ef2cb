"""How a command's output and ending look: exit codes, failed writes, one-line errors."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

#: Exit codes (README "Command line"): done; failed; bad usage or settings; stopped by Ctrl+C
#: (128 + SIGINT; SIGTERM likewise gives 128 + SIGTERM); stdout closed early, as `export | head`
#: does (128 + SIGPIPE, what a shell reports for a process the closed pipe killed).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_PIPE = 130, 141


class OutputError(Exception):
    """Writing to stdout failed: the reader went away (a closed pipe) or the disk is full."""

    def __init__(self, cause: OSError) -> None:
        self.cause = cause
        super().__init__(str(cause))


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Mark writes to stdout, so their failure is told apart from the database's."""
    try:
        yield
    except OSError as exc:
        raise OutputError(exc) from exc


def detach_stdout() -> None:
    """Point stdout at the null device, so what is left in its buffer goes nowhere, quietly.

    Otherwise Python flushes it again at exit and prints "Exception ignored ... BrokenPipeError".
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def one_line(text: str) -> str:
    """Join a message's lines, so an error stays on one line."""
    return " ".join(text.split())
