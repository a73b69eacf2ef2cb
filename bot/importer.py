"""Bulk import of brief files: each file all-or-nothing, many files per transaction for speed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.parsing import BriefParseError, load_briefs
from storage.interface import BriefStore, DuplicateIdError
from storage.models import BriefContent

BRIEF_SUFFIXES = frozenset({".txt", ".md", ".json"})
#: Briefs stored per transaction; one file's briefs never straddle two batches.
BATCH_SIZE = 1000


@dataclass
class ImportReport:
    """What an import did: counts, and each failed file with its reason."""

    stored: int = 0
    files_ok: int = 0
    failures: list[tuple[Path, str]] = field(default_factory=list)


def collect_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield brief files: given files as they are, folders searched recursively in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in BRIEF_SUFFIXES
            )
        else:
            yield path


def read_file(
    path: Path, *, strip_patterns: Sequence[str], max_chars: int, max_bytes: int
) -> list[BriefContent]:
    """Read and parse one file, raising BriefParseError for anything wrong with it."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BriefParseError(f"file is {size:,} bytes; the limit is {max_bytes:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise BriefParseError(f"cannot read file: {exc.strerror or exc}") from exc
    return load_briefs(data, path.name, strip_patterns=strip_patterns, max_chars=max_chars)


async def import_files(
    repo: BriefStore,
    files: Sequence[Path],
    *,
    strip_patterns: Sequence[str] = (),
    max_chars: int = 100_000,
    max_bytes: int = 50_000_000,
    on_file: Callable[[], None] = lambda: None,
) -> ImportReport:
    """Parse every file, then store the valid ones in batched transactions."""
    report = ImportReport()
    batch: list[tuple[Path, list[BriefContent]]] = []

    async def flush() -> None:
        if batch:
            await _store_batch(repo, batch, report)
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
    await flush()
    return report


async def _store_batch(
    repo: BriefStore, batch: Sequence[tuple[Path, list[BriefContent]]], report: ImportReport
) -> None:
    """Store a batch in one transaction; if refused, retry file by file to find the culprit."""
    try:
        stored = await repo.add_many([brief for _, briefs in batch for brief in briefs])
    except DuplicateIdError:
        for path, briefs in batch:
            try:
                report.stored += len(await repo.add_many(briefs))
                report.files_ok += 1
            except DuplicateIdError as exc:
                report.failures.append((path, str(exc)))
        return
    report.stored += len(stored)
    report.files_ok += len(batch)
