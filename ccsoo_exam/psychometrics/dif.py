"""Mantel-Haenszel differential item functioning (DIF) between roster groups.

For each item and each focal group against the reference group (the largest group), candidates
are matched on their total score (Holland & Thayer 1988: the matching score includes the
studied item). In each score stratum s with A (reference right), B (reference wrong), C (focal
right), D (focal wrong) and N = A + B + C + D:

    alpha_MH = sum(A D / N) / sum(B C / N)          (common odds ratio)
    MH D-DIF = -2.35 ln(alpha_MH)                   (ETS delta scale; negative: harder for the focal group)
    chi2_MH  = (|sum A - sum E(A)| - 0.5)^2 / sum Var(A),
    E(A) = n_R m_1 / N,  Var(A) = n_R n_F m_1 m_0 / (N^2 (N - 1))

and the ETS categories (Zwick 2012): A (negligible) when |D-DIF| < 1 or the chi-square is not
significant at 0.05; C (large) when |D-DIF| >= 1.5 and significantly above 1 (we use the
chi-square at 0.05 with |D-DIF| >= 1.5, a common simplification); B otherwise. Strata where
one group is absent carry no information and drop out.

Every item needs some candidates of each group: under ``MIN_GROUP`` the item is reported as
"too few" rather than classified.

References
----------
Holland, P. W., & Thayer, D. T. (1988). Differential item performance and the Mantel-Haenszel
    procedure. In H. Wainer & H. Braun (Eds.), Test validity (pp. 129-145). Erlbaum.
Zwick, R. (2012). A review of ETS differential item functioning assessment procedures
    (ETS RR-12-08).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_GROUP = 30
CHI2_05 = 3.841458820694124  # chi-square, 1 df, 0.95


@dataclass(frozen=True)
class DifResult:
    item: int  # column index
    reference: str
    focal: str
    n_reference: int
    n_focal: int
    odds_ratio: float  # NaN when undefined
    delta: float  # MH D-DIF
    chi2: float
    category: str  # "A", "B", "C" or "too few"


def mantel_haenszel(
    columns: np.ndarray,
    correct: np.ndarray,
    sitting: np.ndarray,
    totals: np.ndarray,
    groups: np.ndarray,
    k: int,
    labels: list[str],
) -> list[DifResult]:
    """DIF for every column against the largest group, over flat response arrays.

    ``columns``, ``correct`` and ``sitting`` are one entry per response (item column, 0/1, the
    sitting's row); ``totals`` and ``groups`` one entry per sitting (``groups`` indexes
    ``labels``, -1 for no group).
    """
    counts = np.bincount(groups[groups >= 0], minlength=len(labels))
    if len(labels) < 2 or (counts > 0).sum() < 2:
        return []
    reference = int(np.argmax(counts))
    group = groups[sitting]
    score = totals[sitting]
    strata = int(totals.max()) + 1 if totals.size else 1
    results = []
    for focal in range(len(labels)):
        if focal == reference or counts[focal] == 0:
            continue
        use = (group == reference) | (group == focal)
        col, x, s, is_ref = columns[use], correct[use], score[use], group[use] == reference
        cell = col * strata + s
        size = k * strata

        def tally(mask: np.ndarray, cell: np.ndarray = cell, size: int = size) -> np.ndarray:
            return np.bincount(cell[mask], minlength=size).reshape(k, strata).astype(float)

        a = tally(is_ref & (x == 1))
        b = tally(is_ref & (x == 0))
        c = tally(~is_ref & (x == 1))
        d = tally(~is_ref & (x == 0))
        for j in range(k):
            results.append(_item(j, a[j], b[j], c[j], d[j], labels[reference], labels[focal]))
    return results


def _item(j: int, a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, ref: str, foc: str) -> DifResult:
    n_r, n_f = a + b, c + d
    n = n_r + n_f
    n_ref, n_foc = int(n_r.sum()), int(n_f.sum())
    if n_ref < MIN_GROUP or n_foc < MIN_GROUP:
        return DifResult(j, ref, foc, n_ref, n_foc, math.nan, math.nan, math.nan, "too few")
    live = (n_r > 0) & (n_f > 0) & (n > 1)
    a, b, c, d, n_r, n_f, n = a[live], b[live], c[live], d[live], n_r[live], n_f[live], n[live]
    m1, m0 = a + c, b + d
    numerator, denominator = (a * d / n).sum(), (b * c / n).sum()
    odds = numerator / denominator if denominator > 0 and numerator > 0 else math.nan
    delta = -2.35 * math.log(odds) if not math.isnan(odds) else math.nan
    variance = (n_r * n_f * m1 * m0 / (n * n * (n - 1))).sum()
    expected = (n_r * m1 / n).sum()
    chi2 = (abs(a.sum() - expected) - 0.5) ** 2 / variance if variance > 0 else math.nan
    if math.isnan(delta) or math.isnan(chi2) or abs(delta) < 1 or chi2 < CHI2_05:
        category = "A"
    elif abs(delta) >= 1.5:
        category = "C"
    else:
        category = "B"
    return DifResult(j, ref, foc, n_ref, n_foc, odds, delta, chi2, category)
