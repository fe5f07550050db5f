"""Panel benchmarks: durable autosave latency, and reliability statistics on 1,000 x 5.

Run: python benchmarks/bench_panel.py [--quick]

1. Autosave: 1,000 level changes through ``store.set_level`` (read sheet, check, log entry
   + score upsert, COMMIT) on a temporary file database in WAL mode with synchronous=FULL;
   p50/p99 per change. Target: p99 under 5 ms. The baseline, measured in the same run on
   the same disk, is a bare sqlite3 INSERT + COMMIT with the same pragmas; the ratio says
   how much the store adds over the unavoidable fsync.
2. Statistics: ICC(A,k) and Krippendorff's alpha (interval) on 1,000 candidates x 5
   panelists, and the whole panel report (aggregation + three coefficients) on the same
   sheets. Target: under 0.5 s (median of 5 runs).

Exit status 1 on a miss. ``--quick`` (CI): 200 changes, 2 statistics runs, and margins only a
gross regression misses: autosave p99 under 15 ms, statistics on 200 x 5 under 1 s.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from verdict import Figure, Verdict, arguments  # noqa: E402

from ccsoo_exam.aggregation import panel_report  # noqa: E402
from ccsoo_exam.rubric import load_rubric  # noqa: E402
from ccsoo_exam.scoresheet import Scoresheet, seal_hash  # noqa: E402
from ccsoo_exam.stats import icc, krippendorff_alpha  # noqa: E402
from ccsoo_exam.store import scoresheets as store  # noqa: E402

CHANGES = 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_autosave(directory: Path, changes: int = CHANGES) -> tuple[list[float], list[float]]:
    rubric = load_rubric(ROOT / "rubrics" / "executive-presentation.yaml")
    conn = store.open_store(str(directory / "panel.db"))
    sheet = store.open_sheet(conn, rubric, "C-001", "Bench", "t0")
    store.declare_conflict(conn, rubric, sheet.sheet_id, False, "", "t0")
    criteria = [c.id for c in rubric.criteria]
    rng = random.Random(1)
    raw = sqlite3.connect(str(directory / "baseline.db"), isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = FULL")
    raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, criterion TEXT, level INTEGER, at TEXT)")
    store_times, baseline_times = [], []
    for n in range(changes):  # interleaved with the bare commit: a slow moment of the disk hits both
        criterion = criteria[n % len(criteria)]
        current = store.load_sheet(conn, sheet.sheet_id).levels.get(criterion) if n < len(criteria) else None
        level = rng.choice([lv for lv in range(1, 6) if lv != current]) if current else (n % 5) + 1
        start = time.perf_counter()
        store.set_level(conn, rubric, sheet.sheet_id, criterion, level, "2025-05-01T10:00:00Z")
        store_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO t (criterion, level, at) VALUES (?, ?, ?)", ("c", n % 5, "t"))
        raw.execute("COMMIT")
        baseline_times.append(time.perf_counter() - start)
    conn.close()
    raw.close()
    return store_times, baseline_times


def bench_statistics(quiet: bool = False, candidates: int = 1000) -> tuple[float, float, float, float]:
    rubric = load_rubric(ROOT / "rubrics" / "executive-presentation.yaml")
    rng = random.Random(7)
    table: list[list[float]] = []
    sheets: list[Scoresheet] = []
    for c in range(candidates):
        ability = rng.gauss(3.2, 0.8)
        row = []
        for p in range(5):
            levels = {
                cr.id: min(5, max(1, round(ability + rng.gauss(0, 0.6) + (p - 2) * 0.1))) for cr in rubric.criteria
            }
            sheet = Scoresheet(
                f"s{c}-{p}", rubric.id, rubric.digest, f"C{c:04d}", f"P{p}", "t0", False, "", MappingProxyType(levels)
            )
            sheets.append(replace(sheet, seal_hash=seal_hash(sheet), sealed_at="t1"))
            span = rubric.highest - rubric.lowest
            weight = sum(cr.weight for cr in rubric.criteria)
            row.append(sum(cr.weight * (levels[cr.id] - 1) / span for cr in rubric.criteria) / weight * 100)
        table.append(row)
    start = time.perf_counter()
    value_icc = icc(table, "A,k")
    icc_time = time.perf_counter() - start
    start = time.perf_counter()
    value_alpha = krippendorff_alpha([list(col) for col in zip(*table, strict=True)], "interval")
    alpha_time = time.perf_counter() - start
    start = time.perf_counter()
    report = panel_report(rubric, sheets)
    report_time = time.perf_counter() - start
    assert len(report.candidates) == candidates
    if quiet:
        return icc_time, alpha_time, icc_time + alpha_time, report_time
    print(f"  ICC(A,k) = {value_icc:.3f}, alpha(interval) = {value_alpha:.3f}")
    print("  report coefficients: " + ", ".join(f"{c.name} {c.value:.3f} ({c.band})" for c in report.reliability))
    return icc_time, alpha_time, icc_time + alpha_time, report_time


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    changes, runs, candidates = (200, 2, 200) if args.quick else (CHANGES, 5, 1000)
    verdict = Verdict("bench_panel", quick=args.quick)
    with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as tmp:
        store_times, baseline = bench_autosave(Path(tmp), changes)
    ms = 1000.0
    p50, p99 = percentile(store_times, 0.50) * ms, percentile(store_times, 0.99) * ms
    b50, b99 = percentile(baseline, 0.50) * ms, percentile(baseline, 0.99) * ms
    print(f"Autosave, {changes} level changes (WAL, synchronous=FULL, temp file beside the repo):")
    mean = statistics.mean(store_times) * ms
    print(f"  store.set_level      p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   mean {mean:.3f} ms")
    print(f"  bare INSERT+COMMIT   p50 {b50:6.3f} ms   p99 {b99:6.3f} ms")
    print(f"  ratio store/bare     p50 {p50 / b50:.2f}x    p99 {p99 / b99:.2f}x")
    print(f"Statistics on {candidates:,} candidates x 5 panelists, {runs} runs:")
    results = [bench_statistics(quiet=n > 0, candidates=candidates) for n in range(runs)]
    both = Figure.of([r[2] for r in results])
    report = Figure.of([r[3] for r in results])
    print(f"  icc(A,k) + krippendorff_alpha(interval)  {both.describe()}")
    print(f"  full panel report (aggregation + ICC + alpha interval + alpha ordinal)  {report.describe()}")
    print("targets:")
    # The target is absolute (DESIGN.md: under 5 ms on local disk); quick mode allows 3x, as a shared
    # CI disk's fsync varies tenfold from one minute to the next. The bare commit is the context.
    save_limit, limit = (15.0, 1.0) if args.quick else (5.0, 0.5)
    verdict.check(
        "autosave p99", p99, save_limit, f"{p99:.2f} ms [< {save_limit:.0f} ms]; bare commit p99 {b99:.2f} ms"
    )
    worst = max(both.median, report.median)
    verdict.check("statistics", worst, limit, f"slower median {worst * ms:.1f} ms [< {limit * ms:.0f} ms]")
    return verdict.status()


if __name__ == "__main__":
    raise SystemExit(main())
