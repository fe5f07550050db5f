"""Timing of ccsoo_exam.stats on exam-sized data: python benchmarks/bench_stats.py [--quick]

Generates, with a fixed seed, a 1,000 candidates x 5 panelists table of rubric scores
(for ICC and Krippendorff's alpha, with about 10% of alpha's cells missing) and a
10,000 candidates x 80 items 0/1 matrix (for KR-20 and item statistics), then reports the
best of 5 runs of each call. For the 0/1 matrix it also reports the ratio to a baseline
measured in the same run, the time Python takes merely to add up every cell
(sum(map(sum, matrix))), so the figure says something on machines of any speed.

Each figure is the median of 5 runs (range shown). Targets: ICC (all six forms) plus both
alphas under 0.5 s, the DESIGN panel target; KR-20 + item statistics within 20x the baseline
sum, a regression guard (about 2.5x the 8x measured when the guard was set). Exit status 1
on a miss. ``--quick`` (CI): 200 x 5 and 2,000 x 80, 3 runs, the guard doubled and 1.5 s.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Running as a script puts benchmarks/ on sys.path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from verdict import Figure, Verdict, arguments

from ccsoo_exam.stats import (
    ICC_FORMS,
    icc,
    item_statistics,
    kr20,
    krippendorff_alpha,
)

SEED = 20240601
REPEATS = 5


def runs(function: Callable[[], object], repeats: int = REPEATS) -> Figure:
    """Several runs of one call."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return Figure.of(times)


def panel_data(rng: random.Random, candidates: int = 1000, panelists: int = 5) -> list[list[int]]:
    # A latent candidate level plus panelist severity and noise, on a 0-10 rubric scale, so
    # the coefficients are in a realistic range rather than near zero.
    severity = [rng.gauss(0, 0.7) for _ in range(panelists)]
    table = []
    for _ in range(candidates):
        level = rng.gauss(6, 1.8)
        table.append([min(10, max(0, round(level + s + rng.gauss(0, 1)))) for s in severity])
    return table


def binary_matrix(rng: random.Random, candidates: int = 10_000, items: int = 80) -> list[tuple[int, ...]]:
    # Tuples, as rows come back from a database cursor; a Rasch-like model gives items a
    # spread of difficulties and the test a realistic KR-20.
    difficulty = [rng.gauss(0, 1) for _ in range(items)]
    rows = []
    for _ in range(candidates):
        ability = rng.gauss(0, 1)
        rows.append(tuple(1 if rng.random() < 1 / (1 + math.exp(b - ability)) else 0 for b in difficulty))
    return rows


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    candidates, matrix_rows, repeats = (200, 2000, 3) if args.quick else (1000, 10_000, REPEATS)
    guard, limit = (40.0, 1.5) if args.quick else (20.0, 0.5)
    verdict = Verdict("bench_stats", quick=args.quick)
    rng = random.Random(SEED)
    panel = panel_data(rng, candidates)
    # Krippendorff's data are raters x units, with None for a score not given.
    raters = [[None if rng.random() < 0.1 else row[r] for row in panel] for r in range(len(panel[0]))]
    matrix = binary_matrix(rng, matrix_rows)

    python = sys.version.split()[0]
    print(f"ccsoo_exam.stats benchmark (seed {SEED}, {repeats} runs each, Python {python})")
    print()
    print(f"panel: {len(panel)} candidates x {len(panel[0])} panelists")
    total = 0.0
    for form in ICC_FORMS:
        figure = runs(lambda form=form: icc(panel, form), repeats)
        total += figure.median
        print(f"  icc {form:<4} = {icc(panel, form):7.4f}   {figure.describe()}")
    for level in ("interval", "ordinal"):
        figure = runs(lambda level=level: krippendorff_alpha(raters, level), repeats)
        total += figure.median
        print(f"  alpha {level:<8} = {krippendorff_alpha(raters, level):7.4f}   {figure.describe()}")

    print()
    print(f"items: {len(matrix)} candidates x {len(matrix[0])} items (0/1, tuples)")
    baseline = runs(lambda: sum(map(sum, matrix)), repeats)
    print(f"  baseline sum(map(sum, m))  {baseline.describe()}")
    print(f"  kr20 = {kr20(matrix):.4f}            {runs(lambda: kr20(matrix), repeats).describe()}")
    print(f"  item_statistics            {runs(lambda: item_statistics(matrix), repeats).describe()}")
    both = runs(lambda: (kr20(matrix), item_statistics(matrix)), repeats)
    ratio = both.median / baseline.median
    print(f"  kr20 + item_statistics     {both.describe()}")
    print("targets:")
    verdict.check("icc + alpha", total, limit, f"all six ICC forms + both alphas {total * 1000:.1f} ms [< {limit} s]")
    verdict.check("kr20 + item_statistics", ratio, guard, f"{ratio:.1f}x the baseline sum [<= {guard:.0f}x]")
    return verdict.status()


if __name__ == "__main__":
    raise SystemExit(main())
