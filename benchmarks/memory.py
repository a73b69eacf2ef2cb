"""Peak memory of the bot process over a large library, beside the same process over none.

Each measurement is a fresh subprocess (`python -m benchmarks.memory DB`) that builds the real
bot over the database, drives lookups through simcord and prints its peak RSS
(`getrusage(RUSAGE_SELF).ru_maxrss`). A bot that loaded the library into memory would show it
as the difference between the two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.generate import PREFIXES, QUERIES
from benchmarks.report import INFO, Result, Row, verdict

TARGET_MB = 100.0


async def _drive(database: Path) -> int:
    """Run the bot over `database` and use every lookup a few times; return answers seen."""
    from benchmarks.simulated import briefbot, quiet_logs, running

    quiet_logs()
    answered = 0
    async with running(briefbot(database)) as env:
        guild = env.create_guild(name="Newsroom")
        channel = guild.create_text_channel("news")
        member = guild.add_member(env.create_user("reader"))
        for _ in range(3):
            latest = await member.slash(channel, "brief latest", count=5)
            answered += latest.response is not None
            if latest.response is not None and latest.response.embeds:
                more = await member.click(latest.response.message, label="More")
                answered += more.response is not None
            for query in QUERIES:
                found = await member.slash(channel, "brief search", query=query.text)
                answered += found.response is not None
            for prefix in PREFIXES:
                await member.autocomplete(channel, "brief show", "brief", prefix.text)
            shown = await member.slash(channel, "brief show", brief="1")
            listed = await member.slash(channel, "brief list")
            answered += (shown.response is not None) + (listed.response is not None)
    return answered


def _vm_hwm_kb() -> float | None:
    """Return this program's own peak RSS (Linux `VmHWM`), or None where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def probe(database: Path) -> dict[str, float]:
    """Measure this process: drive the bot, then report peak RSS in MB.

    `ru_maxrss` also counts the parent's RSS at fork time (Linux carries the high-water mark
    across fork and exec), so a child of a big parent reads high; `VmHWM` is this program's
    own peak and is preferred where the platform has it.
    """
    answered = asyncio.run(_drive(database))
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    hwm_kb = _vm_hwm_kb()
    peak_kb = hwm_kb if hwm_kb is not None else maxrss_kb
    return {"peak_rss_mb": peak_kb / 1024, "ru_maxrss_mb": maxrss_kb / 1024, "answered": answered}


def _measure(database: Path) -> dict[str, float]:
    """Run the probe in a fresh interpreter and return what it printed.

    A failed probe raises with the end of its stderr, which is where its traceback is.
    """
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", str(database)],
        cwd=Path(__file__).resolve().parent.parent,  # where `benchmarks` is importable from
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"the memory probe exited with {done.returncode}:\n{tail}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(database: Path, count: int, workdir: Path) -> Result:
    """Measure the bot over `database` (with `count` briefs) and over an empty one."""
    result = Result("memory", f"Memory: peak RSS of the bot process ({count:,} briefs vs empty)")
    empty = _measure(workdir / "empty.db")
    full = _measure(database)
    size_mb = database.stat().st_size / 2**20
    result.rows.append(
        Row("bot process, empty database", 0, "MB", empty["peak_rss_mb"], result=INFO)
    )
    result.rows.append(
        Row(
            "bot process, full database",
            count,
            "MB",
            full["peak_rss_mb"],
            baseline=empty["peak_rss_mb"],
            baseline_label="empty DB",
            ratio=full["peak_rss_mb"] / empty["peak_rss_mb"],
            target=f"< {TARGET_MB:g} MB",
            result=verdict(full["peak_rss_mb"] < TARGET_MB),
        )
    )
    growth = full["peak_rss_mb"] - empty["peak_rss_mb"]
    result.notes.append(
        f"the library adds {growth:.1f} MB to the process; the database file is "
        f"{size_mb:,.0f} MB, so the bot reads it on demand rather than loading it."
    )
    result.notes.append(
        f"peak RSS = VmHWM of the probe; its ru_maxrss read {empty['ru_maxrss_mb']:.1f} / "
        f"{full['ru_maxrss_mb']:.1f} MB, which includes the benchmark parent's RSS at fork."
    )
    result.notes.append(
        "each probe is a fresh interpreter that starts the real bot under simcord and runs "
        "latest ×5 + More, search (4 queries), autocomplete, show and list, three times; "
        f"answers seen: empty {empty['answered']:.0f}, full {full['answered']:.0f}."
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the measuring subprocess: print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("database", type=Path)
    args = parser.parse_args(argv)
    print(json.dumps(probe(args.database)))


if __name__ == "__main__":
    main()
