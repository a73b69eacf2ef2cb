"""Results as rows, printed as one text table per benchmark and saved as JSON on request."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

#: Outcome of a row against its target; INFO rows have no target.
PASS, MISS, INFO = "PASS", "MISS", "info"


def percentile(samples: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0–100) by linear interpolation; NaN for no samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Row:
    """One measured case: typical and tail value, its same-run baseline, and the verdict."""

    case: str
    n: int
    unit: str
    p50: float
    p99: float | None = None
    baseline: float | None = None
    baseline_label: str = ""
    ratio: float | None = None
    target: str = ""
    result: str = INFO
    samples: int = 0


@dataclass
class Result:
    """One benchmark's rows, with notes that say how to read them."""

    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    def verdicts(self) -> list[str]:
        """Return the PASS/MISS results of rows that have a target."""
        return [row.result for row in self.rows if row.result != INFO]

    def to_json(self) -> dict[str, Any]:
        """Return the result as plain data (NaN becomes null)."""
        data = asdict(self)
        for row in data["rows"]:
            for key, value in row.items():
                if isinstance(value, float) and math.isnan(value):
                    row[key] = None
        return data


def verdict(ok: bool) -> str:
    """Return PASS or MISS."""
    return PASS if ok else MISS


def _number(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "–"
    if unit == "ms":
        text = f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:,.0f}"
    elif unit in ("briefs/s", "req/s"):
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
    return f"{text} {unit}" if unit else text


def render(result: Result) -> str:
    """Return the benchmark as a titled text table followed by its notes."""
    header = ("case", "n", "p50", "p99", "baseline", "ratio", "target", "result")
    lines = [[*header]]
    for row in result.rows:
        base = _number(row.baseline, row.unit)
        if row.baseline_label and row.baseline is not None:
            base = f"{base} ({row.baseline_label})"
        lines.append(
            [
                row.case,
                f"{row.n:,}",
                _number(row.p50, row.unit),
                _number(row.p99, row.unit),
                base,
                "–" if row.ratio is None else f"{row.ratio:.2f}×",
                row.target or "–",
                row.result,
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {1, 2, 3, 5}

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "-" * len(fmt(lines[0]))
    out = [f"== {result.title}  ({result.seconds:.0f} s)", fmt(lines[0]), rule]
    out.extend(fmt(line) for line in lines[1:])
    if result.error:
        out.append(f"!! benchmark failed: {result.error}")
    out.extend(f"  · {note}" for note in result.notes)
    return "\n".join(out)


def summary(results: Sequence[Result]) -> str:
    """Return one line per benchmark with its PASS/MISS count, then the overall verdict.

    Missed targets and benchmarks that failed to run are counted apart: only the latter make
    the run fail.
    """
    out = ["== Summary"]
    misses = failed = 0
    for result in results:
        verdicts = result.verdicts()
        missed = [row.case.strip() for row in result.rows if row.result == MISS]
        misses += len(missed)
        failed += 1 if result.error else 0
        state = "FAILED TO RUN" if result.error else f"{verdicts.count(PASS)}/{len(verdicts)} PASS"
        detail = f"  missed: {', '.join(missed)}" if missed else ""
        out.append(f"  {result.name:<10} {state}{detail}")
    if misses:
        out.append(f"  {misses} target(s) missed")
    elif not failed:
        out.append("  all targets met")
    if failed:
        out.append(f"  {failed} benchmark(s) failed to run")
    return "\n".join(out)
