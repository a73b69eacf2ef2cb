"""Bulk import of brief files: each file all-or-nothing, many files per transaction for speed."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from bot.brief.parsing import BriefParseError, load_briefs
from storage.briefs import Briefs
from storage.errors import DuplicateIdError
from storage.models import BriefContent

BRIEF_SUFFIXES = frozenset({".txt", ".md", ".json"})
#: Briefs stored per transaction; one file's briefs never straddle two batches.
BATCH_SIZE = 1000
#: Largest file `import` reads, in bytes: a large library's whole export fits.
FILE_MAX_BYTES = 50_000_000
#: Bytes read at a time; reading stops one byte past the limit, whatever the file claims.
READ_CHUNK = 1 << 20
#: What one file's content can make parsing or storing raise, besides BriefParseError: bad
#: values (pydantic's ValidationError is a ValueError), numbers or dates out of range.
BAD_CONTENT = (ValueError, OverflowError, RecursionError)


@dataclass
class ImportReport:
    """What an import did: counts, and each failed file with its reason."""

    stored: int = 0
    #: Briefs left out because the library already holds them (only with `skip_present`).
    present: int = 0
    files_ok: int = 0
    failures: list[tuple[Path, str]] = field(default_factory=list)


def collect_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield brief files: given files as they are, folders searched recursively in name order.

    In folders only regular files count (`is_file`), so devices and FIFOs there are passed
    over; a path given by name is yielded as it is, for `read_file` to refuse.
    """
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in BRIEF_SUFFIXES
            )
        else:
            yield path


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """Read a regular file of at most `max_bytes`, raising BriefParseError otherwise.

    Opened without blocking (a FIFO would wait for a writer) and checked on the open file,
    so what is read is what was checked; never more than `max_bytes + 1` bytes are read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise BriefParseError(f"cannot read file: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BriefParseError("is a folder, not a brief file")
        if not stat.S_ISREG(info.st_mode):
            raise BriefParseError("not a regular file (a device, FIFO or socket)")
        if info.st_size > max_bytes:
            raise BriefParseError(f"file is {info.st_size:,} bytes; the limit is {max_bytes:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(READ_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise BriefParseError(f"cannot read file: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if size > max_bytes:
        raise BriefParseError(f"file is over the limit of {max_bytes:,} bytes")
    return b"".join(chunks)


def read_file(
    path: Path, *, strip_patterns: Sequence[str], max_chars: int, max_bytes: int
) -> list[BriefContent]:
    """Read and parse one file, raising BriefParseError for anything wrong with it."""
    data = read_bytes(path, max_bytes)
    try:
        return load_briefs(data, path.name, strip_patterns=strip_patterns, max_chars=max_chars)
    except BriefParseError:
        raise
    except BAD_CONTENT as exc:
        raise BriefParseError(reason(exc)) from exc


def reason(exc: BaseException) -> str:
    """Say in one line why a file's content was refused."""
    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "brief"
        message = str(error["msg"]).removeprefix("Value error, ")
        return f'field "{where}": {message}'
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


async def import_files(
    repo: Briefs,
    files: Sequence[Path],
    *,
    strip_patterns: Sequence[str] = (),
    max_chars: int = 100_000,
    max_bytes: int = FILE_MAX_BYTES,
    skip_present: bool = False,
    on_file: Callable[[], None] = lambda: None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Parse every file, then store the valid ones in batched transactions.

    `report` (a new one by default) is updated as each batch commits, so a caller that is
    cancelled still knows what was stored: the batch in progress rolls back whole.
    """
    report = report if report is not None else ImportReport()
    batch: list[tuple[Path, list[BriefContent]]] = []

    async def flush() -> None:
        if batch:
            await _store_batch(repo, batch, report, skip_present=skip_present)
            batch.clear()

    for path in files:
        try:
            briefs = read_file(
                path, strip_patterns=strip_patterns, max_chars=max_chars, max_bytes=max_bytes
            )
        except BriefParseError as exc:
            report.failures.append((path, str(exc)))
        else:
            batch.append((path, briefs))
            if sum(len(b) for _, b in batch) >= BATCH_SIZE:
                await flush()
        on_file()
        await asyncio.sleep(0)  # a point where Ctrl+C (a cancellation) can stop the import
    await flush()
    return report


async def _store_batch(
    repo: Briefs,
    batch: Sequence[tuple[Path, list[BriefContent]]],
    report: ImportReport,
    *,
    skip_present: bool,
) -> None:
    """Store a batch in one transaction; if refused, retry file by file to find the culprit."""
    items = [brief for _, briefs in batch for brief in briefs]
    try:
        stored = await repo.add_many(items, skip_present=skip_present)
    except (DuplicateIdError, *BAD_CONTENT):
        for path, briefs in batch:
            try:
                kept = await repo.add_many(briefs, skip_present=skip_present)
            except DuplicateIdError as exc:
                report.failures.append((path, str(exc)))
            except BAD_CONTENT as exc:
                report.failures.append((path, reason(exc)))
            else:
                report.stored += len(kept)
                report.present += len(briefs) - len(kept)
                report.files_ok += 1
        return
    report.stored += len(stored)
    report.present += len(items) - len(stored)
    report.files_ok += len(batch)
