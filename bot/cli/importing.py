"""`python -m bot import`: brief files into the library, each all-or-nothing, in batches.

Imported briefs are published like any other (storage/publishing.py, by the `cli` source):
each committed batch is announced, so running bots auto-post the new ones. An export read
back keeps when its briefs were stored: a subscription posts only those stored after it began.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from bot.brief.files import BAD_CONTENT, FILE_MAX_BYTES, collect_files, read_file, reason
from bot.brief.parsing import DEFAULT_MAX_CHARS, BriefParseError
from bot.cli.database import open_database, storage_errors
from bot.cli.output import EXIT_FAILED, EXIT_OK, one_line
from bot.config import Settings
from storage.errors import DuplicateIdError
from storage.models import BriefContent
from storage.publishing import CLI, Publisher

#: Briefs stored per transaction; one file's briefs never straddle two batches.
BATCH_SIZE = 1000


@dataclass
class ImportReport:
    """What an import did: counts, and each failed file with its reason."""

    stored: int = 0
    #: Briefs left out because the library already holds them (only with `skip_present`).
    present: int = 0
    files_ok: int = 0
    failures: list[tuple[Path, str]] = field(default_factory=list)


async def import_(settings: Settings, paths: Sequence[Path], *, force: bool = False) -> int:
    """Store brief files, skipping briefs already stored unless `force`; report failures.

    Exits 1 if any file failed. Interrupted, it reports what the batches committed so far
    stored (the one in progress rolls back) before the caller says "interrupted".
    """
    err = Console(stderr=True, soft_wrap=True)
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        err.print(f"[red]error[/]: {escape(str(path))}: no such file or folder", highlight=False)
    files = list(collect_files(p for p in paths if p.exists()))
    report = ImportReport()
    if not files:  # nothing to store: no reason to create a database
        summarize(err, report, len(missing), force=force)
        return EXIT_FAILED if missing else EXIT_OK
    db = await open_database(settings.database, create=True)
    if db is None:
        return EXIT_FAILED
    try:
        quiet = len(files) < 50 or not err.is_terminal  # a bar, only where someone watches
        with Progress(console=err, transient=True, disable=quiet) as progress:
            task = progress.add_task("Importing", total=len(files))
            await import_files(
                db.publisher,
                files,
                strip_patterns=settings.brief_strip_patterns,
                max_chars=settings.brief_max_chars,
                skip_present=not force,
                on_file=lambda: progress.advance(task),
                report=report,
            )
    except asyncio.CancelledError:
        summarize(err, report, len(missing), force=force)
        raise
    except storage_errors() as exc:
        summarize(err, report, len(missing), force=force)
        print(f"error: cannot store briefs: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await db.close()
    summarize(err, report, len(missing), force=force)
    return EXIT_FAILED if report.failures or missing else EXIT_OK


def summarize(err: Console, report: ImportReport, missing: int, *, force: bool) -> None:
    """Print each failed file as `path: reason`, then one line of totals."""
    for path, why in report.failures:
        err.print(f"[red]skipped[/] {escape(str(path))}: {escape(why)}", highlight=False)
    present = "" if force else f"{report.present} already present; "
    err.print(
        f"Imported {report.stored} brief(s) from {report.files_ok} file(s); "
        f"{present}{len(report.failures) + missing} file(s) failed.",
        highlight=False,
    )


async def import_files(
    publisher: Publisher,
    files: Sequence[Path],
    *,
    strip_patterns: Sequence[str] = (),
    max_chars: int = DEFAULT_MAX_CHARS,
    max_bytes: int = FILE_MAX_BYTES,
    skip_present: bool = False,
    announce: bool = True,
    on_file: Callable[[], None] = lambda: None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Parse every file, then publish the valid ones in batched transactions (announced,
    so auto-posted at once, unless `announce` is False: then only the sweep finds them).

    `report` (a new one by default) is updated as each batch commits, so a caller that is
    cancelled still knows what was stored: the batch in progress rolls back whole.
    """
    report = report if report is not None else ImportReport()
    batch: list[tuple[Path, list[BriefContent]]] = []

    async def flush() -> None:
        if batch:
            await _store_batch(
                publisher, batch, report, skip_present=skip_present, announce=announce
            )
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
    publisher: Publisher,
    batch: Sequence[tuple[Path, list[BriefContent]]],
    report: ImportReport,
    *,
    skip_present: bool,
    announce: bool,
) -> None:
    """Store a batch in one transaction; if refused, retry file by file to find the culprit."""
    items = [brief for _, briefs in batch for brief in briefs]
    publish = partial(publisher.publish_many, by=CLI, skip_present=skip_present, announce=announce)
    try:
        stored = await publish(items)
    except (DuplicateIdError, *BAD_CONTENT):
        for path, briefs in batch:
            try:
                kept = await publish(briefs)
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
