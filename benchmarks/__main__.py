"""Run the benchmarks: `python -m benchmarks [--quick] [--only NAME ...] [--json FILE]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import (
    api,
    corrections,
    fanout,
    feeds,
    imports,
    latency,
    memory,
    postgres,
    release,
    scaling,
    search,
)
from benchmarks.library import CACHE_VARIABLE, default_cache_dir, prepared, working_copy
from benchmarks.report import Result, render, summary
from benchmarks.simulated import quiet_logs
from storage.backends import redact

BENCHMARKS = (
    "latency", "search", "import", "memory", "fanout", "corrections", "postgres", "scaling",
    "api", "feeds", "release",
)  # fmt: skip

#: (default, --quick) sizes; every one can be set on the command line.
SIZES: dict[str, tuple[object, object]] = {
    "briefs": (100_000, 5_000),
    "search_sizes": ("1000,10000,100000", "1000,5000"),
    "scaling_sizes": ("10000,100000", "1000,5000"),
    "import_count": (10_000, 1_000),
    "channels": (1_000, 200),
    "library_channels": (50, 10),
    "reps": (200, 40),
    "like_reps": (10, 5),
    "api_pushes": (2_000, 200),
    "feeds": (2_000, 200),
    "feeds_memory": (10_000, 1_000),
    "release_channels": (200, 20),
    "release_briefs": (1_000, 100),
    "release_window": (60.0, 5.0),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure briefbot against same-run baselines and print a table per benchmark.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS, metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )  # fmt: skip
    size = parser.add_argument_group("sizes (defaults: full run / --quick)")
    size.add_argument("--briefs", type=int, help="library size for latency, memory (100000/5000)")
    size.add_argument("--search-sizes", help="comma-separated library sizes: search, postgres")
    size.add_argument(
        "--scaling-sizes", help="the two library sizes scaling compares (10000,100000/1000,5000)"
    )
    size.add_argument("--import-count", type=int, help="briefs to import (10000/1000)")
    size.add_argument("--channels", type=int, help="subscribed channels for fan-out (1000/200)")
    size.add_argument(
        "--library-channels", type=int,
        help="channels for the fan-out over the full library, projected to --channels (50/10)",
    )  # fmt: skip
    size.add_argument("--api-pushes", type=int, help="briefs pushed per API case (2000/200)")
    size.add_argument("--feeds", type=int, help="feeds polled, and the bare loop's URLs (2000/200)")
    size.add_argument(
        "--feeds-memory", type=int, help="feeds added and seeded for peak RSS (10000/1000)"
    )
    size.add_argument(
        "--release-channels", type=int, help="subscribed channels for scheduled release (200/20)"
    )
    size.add_argument("--release-briefs", type=int, help="held briefs released (1000/100)")
    size.add_argument(
        "--release-window", type=float, help="seconds their release times span (60/5)"
    )
    size.add_argument("--reps", type=int, help="timed runs per latency/search case (200/40)")
    size.add_argument("--like-reps", type=int, help="timed runs per LIKE baseline query (10/5)")
    parser.add_argument(
        "--rtt-ms", type=float, default=100.0,
        help="simulated Discord round trip per request in the second fan-out (0: skip)",
    )  # fmt: skip
    parser.add_argument(
        "--postgres-url", metavar="URL", default=os.environ.get(postgres.URL_VARIABLE),
        help=f"PostgreSQL server for the postgres benchmark (default: ${postgres.URL_VARIABLE}; "
        "without one it is skipped)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--cache-dir", type=Path, default=None,
        help=f"where databases are cached (default: ${CACHE_VARIABLE}, else "
        "~/.cache/briefbot-benchmarks)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results as JSON")
    return parser


def _resolve(args: argparse.Namespace) -> None:
    """Fill unset sizes from the full or --quick defaults."""
    for name, (full, quick) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    args.search_sizes = sorted({int(n) for n in str(args.search_sizes).split(",") if n.strip()})
    args.scaling_sizes = sorted({int(n) for n in str(args.scaling_sizes).split(",") if n.strip()})
    args.cache_dir = args.cache_dir or default_cache_dir()


def _attempt(name: str, title: str, body: Callable[[], Result]) -> Result:
    """Run one benchmark, turning a crash into a result that says so."""
    started = time.perf_counter()
    try:
        result = body()
    except Exception as error:
        traceback.print_exc()
        result = Result(name, title, error=f"{type(error).__name__}: {error}")
    result.seconds = time.perf_counter() - started
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks, print their tables and a summary; return the exit code.

    1 if any benchmark failed to run (it raised), else 0: a missed target is a result.
    """
    args = _parser().parse_args(argv)
    _resolve(args)
    quiet_logs()
    chosen = args.only or list(BENCHMARKS)
    print(
        f"briefbot benchmarks ({'quick' if args.quick else 'full'}): {', '.join(chosen)}; "
        f"seed {args.seed}; Python {platform.python_version()}; cache {args.cache_dir}",
        flush=True,
    )
    results: list[Result] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as tmp:
        workdir = Path(tmp)
        library: Path | None = None

        def library_copy() -> Path:
            nonlocal library
            if library is None:
                library = working_copy(prepared(args.briefs, args.seed, args.cache_dir), workdir)
            return library

        for name in chosen:
            if name == "postgres" and not args.postgres_url:
                print(
                    f"\ninfo: postgres skipped: no server URL (give --postgres-url URL or set "
                    f"{postgres.URL_VARIABLE})",
                    flush=True,
                )
                continue
            print(f"\n… running {name}", flush=True)
            if name == "latency":
                result = _attempt(
                    name,
                    "Interaction latency",
                    lambda: asyncio.run(
                        latency.run(library_copy(), args.briefs, args.reps, args.seed)
                    ),
                )
            elif name == "search":
                result = _attempt(
                    name,
                    "Search",
                    lambda: asyncio.run(
                        search.run(
                            {n: prepared(n, args.seed, args.cache_dir) for n in args.search_sizes},
                            args.reps,
                            args.like_reps,
                        )
                    ),
                )
            elif name == "import":
                result = _attempt(
                    name, "Import", lambda: imports.run(args.import_count, args.seed, workdir)
                )
            elif name == "memory":
                result = _attempt(
                    name, "Memory", lambda: memory.run(library_copy(), args.briefs, workdir)
                )
            elif name == "postgres":
                result = _attempt(
                    name,
                    "PostgreSQL",
                    lambda: asyncio.run(
                        postgres.run(
                            {n: prepared(n, args.seed, args.cache_dir) for n in args.search_sizes},
                            args.postgres_url,
                            args.reps,
                            workdir,
                            args.seed,
                        )
                    ),
                )
            elif name == "scaling":
                result = _attempt(
                    name,
                    "Scaling",
                    lambda: asyncio.run(
                        scaling.run(
                            {n: prepared(n, args.seed, args.cache_dir) for n in args.scaling_sizes},
                            args.reps,
                            workdir,
                        )
                    ),
                )
            elif name == "api":
                result = _attempt(
                    name,
                    "HTTP API pushes",
                    lambda: asyncio.run(api.run(args.api_pushes, workdir, args.seed)),
                )
            elif name == "feeds":
                result = _attempt(
                    name,
                    "Feeds",
                    lambda: asyncio.run(feeds.run(args.feeds, args.feeds_memory, workdir)),
                )
            elif name == "release":
                result = _attempt(
                    name,
                    "Scheduled release",
                    lambda: asyncio.run(
                        release.run(
                            args.release_channels,
                            args.release_briefs,
                            args.release_window,
                            workdir,
                        )
                    ),
                )
            elif name == "corrections":
                result = _attempt(
                    name,
                    "Corrections",
                    lambda: asyncio.run(corrections.run(args.channels, workdir)),
                )
            else:
                result = _attempt(
                    name,
                    "Auto-post fan-out",
                    lambda: asyncio.run(
                        fanout.run(
                            args.channels,
                            args.rtt_ms,
                            library_copy(),
                            args.briefs,
                            args.library_channels,
                            workdir,
                        )
                    ),
                )
            results.append(result)
            print(render(result), flush=True)
    print()
    print(summary(results))
    print(f"  total {time.perf_counter() - started:.0f} s")
    if args.json:
        payload = {
            "mode": "quick" if args.quick else "full",
            "settings": {
                k: redact(v) if k == "postgres_url" and v else v
                for k, v in vars(args).items()
                if k not in ("json", "cache_dir")
            },
            "python": platform.python_version(),
            "results": [r.to_json() for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"  results written to {args.json}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
