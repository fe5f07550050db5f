"""Timing of ccsoo_exam.stats on exam-sized data: python benchmarks/bench_stats.py

Generates, with a fixed seed, a 1,000 candidates x 5 panelists table of rubric scores
(for ICC and Krippendorff's alpha, with about 10% of alpha's cells missing) and a
10,000 candidates x 80 items 0/1 matrix (for KR-20 and item statistics), then reports the
best of 5 runs of each call. For the 0/1 matrix it also reports the ratio to a baseline
measured in the same run, the time Python takes merely to add up every cell
(sum(map(sum, matrix))), so the figure says something on machines of any speed.
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

from ccsoo_exam.stats import (
    ICC_FORMS,
    icc,
    item_statistics,
    kr20,
    krippendorff_alpha,
)

SEED = 20240601
REPEATS = 5


def best_of(function: Callable[[], object], repeats: int = REPEATS) -> float:
    """Fastest of several runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


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


def main() -> None:
    rng = random.Random(SEED)
    panel = panel_data(rng)
    # Krippendorff's data are raters x units, with None for a score not given.
    raters = [[None if rng.random() < 0.1 else row[r] for row in panel] for r in range(len(panel[0]))]
    matrix = binary_matrix(rng)

    python = sys.version.split()[0]
    print(f"ccsoo_exam.stats benchmark (seed {SEED}, best of {REPEATS}, Python {python})")
    print()
    print(f"panel: {len(panel)} candidates x {len(panel[0])} panelists")
    total_icc = 0.0
    for form in ICC_FORMS:
        seconds = best_of(lambda form=form: icc(panel, form))
        total_icc += seconds
        print(f"  icc {form:<4} = {icc(panel, form):7.4f}   {seconds * 1000:7.2f} ms")
    print(f"  icc, all 6 forms          {total_icc * 1000:7.2f} ms")
    for level in ("interval", "ordinal"):
        seconds = best_of(lambda level=level: krippendorff_alpha(raters, level))
        value = krippendorff_alpha(raters, level)
        print(f"  alpha {level:<8} = {value:7.4f}   {seconds * 1000:7.2f} ms")

    print()
    print(f"items: {len(matrix)} candidates x {len(matrix[0])} items (0/1, tuples)")
    baseline = best_of(lambda: sum(map(sum, matrix)))
    t_kr20 = best_of(lambda: kr20(matrix))
    t_items = best_of(lambda: item_statistics(matrix))
    t_both = best_of(lambda: (kr20(matrix), item_statistics(matrix)))
    print(f"  baseline sum(map(sum, m))  {baseline * 1000:7.2f} ms")
    print(f"  kr20 = {kr20(matrix):.4f}            {t_kr20 * 1000:7.2f} ms")
    print(f"  item_statistics            {t_items * 1000:7.2f} ms")
    print(f"  kr20 + item_statistics     {t_both * 1000:7.2f} ms   = {t_both / baseline:.1f} x baseline")


if __name__ == "__main__":
    main()
