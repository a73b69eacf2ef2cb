"""Copy a whole library from one database to another (any backends), verified by counts."""

from __future__ import annotations

from collections.abc import Callable

from storage.base import TABLES, same_counts
from storage.errors import TransferError
from storage.library import Storage


async def copy_library(
    source: Storage,
    target: Storage,
    *,
    batch: int = 1000,
    on_rows: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy every table's rows into an empty target in one transaction; return the counts.

    Ids, times, deleted briefs, the audit trail, auto-post settings and the post log all come
    across, so nothing is posted twice after switching. Counts are compared with the source's
    inside the target's transaction (a mismatch rolls everything back) and again after commit.
    """
    if source.url == target.url:
        raise TransferError("source and target are the same database")
    occupied = {table: n for table, n in (await target.counts()).items() if n}
    if occupied:
        held = ", ".join(f"{n} {table}" for table, n in occupied.items())
        raise TransferError(f"the target database is not empty ({held}); use an empty one")
    expected = await source.counts()
    copied = dict.fromkeys(TABLES, 0)
    async with target.restore() as loader:
        for table in TABLES:
            async for rows in source.dump(table, batch=batch):
                await loader.load(table, rows)
                copied[table] += len(rows)
                if on_rows is not None:
                    on_rows(table, len(rows))
        problems = same_counts(copied, await loader.counts())
        if problems:
            raise TransferError("rows went missing while copying: " + "; ".join(problems))
        changed = same_counts(expected, copied)
        if changed:
            raise TransferError(
                "the source changed during the copy (stop the bot first): " + "; ".join(changed)
            )
    committed = same_counts(copied, await target.counts())
    if committed:
        raise TransferError("the target's counts differ after commit: " + "; ".join(committed))
    return copied
