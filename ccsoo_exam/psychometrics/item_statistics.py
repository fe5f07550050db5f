"""The psychometric report's figures beyond p and r_it, on numpy arrays of the scored responses.

Moodle's quiz statistics (docs.moodle.org, "Quiz statistics calculations"), per item:

* ``sd``        -- SD of the item score (n - 1 divisor);
* ``random_guess`` -- the score of a blind guess: 1/4 for one key among four options (1 for an
  item credited to everyone, 2/4 with two accepted keys);
* ``discriminative_efficiency`` -- the item-rest covariance divided by the largest covariance the
  same two sets of scores could have (both sorted in the same order): how much of the
  discrimination the item's difficulty allows it actually achieves;
* ``option_pbis`` -- per option (and omission) the point-biserial between choosing it and the
  rest score (total minus the item): the key's should be positive, each distractor's negative;
* ``upper`` / ``lower`` / ``upper_lower`` -- p in the top and bottom 27% of candidates by total
  score and their difference (Kelley 1939; the classical discrimination index D). Candidates
  are ranked by total, ties in sitting order.

For the test: median, skewness and excess kurtosis of total scores by the unbiased k-statistics
Moodle uses (k3 / k2^1.5 and k4 / k2^2; scipy's ``skew``/``kurtosis`` with ``bias=False``), the
random-guess score of the whole test, and the error ratio SEM / SD = sqrt(1 - KR-20).

Per module: KR-20 and whether the subscore is reportable (``reliability.subscore_value``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from ccsoo_exam.psychometrics.reliability import SUBSCORE_KR20, subscore_value

UPPER_LOWER = 0.27
OPTION_CODES = {letter: ord(letter) for letter in "ABCD-"}


@dataclass(frozen=True)
class ItemExtra:
    sd: float
    random_guess: float
    discriminative_efficiency: float  # NaN when undefined
    upper: float
    lower: float
    upper_lower: float
    option_pbis: dict[str, float]


@dataclass(frozen=True)
class Distribution:
    n: int
    median: float
    sd: float  # n - 1 divisor, as Moodle
    skewness: float
    kurtosis: float  # excess
    minimum: int
    maximum: int
    random_guess_score: float  # raw points
    error_ratio: float  # SEM / SD


@dataclass(frozen=True)
class ModuleReliability:
    module: int
    items: int
    kr20: float
    sem: float
    prmse_subscore: float
    prmse_total: float
    reportable: bool
    reason: str


@dataclass
class Responses:
    """Flat arrays, one entry per response: its item column, 0/1 score, chosen letter code, sitting row."""

    columns: np.ndarray
    correct: np.ndarray
    choices: np.ndarray
    sitting: np.ndarray
    totals: np.ndarray  # per sitting
    k: int


def flatten(
    positions: Sequence[Sequence[int]], scores: Sequence[Sequence[bool]], answers: Sequence[str], k: int
) -> Responses:
    lengths = np.fromiter(map(len, positions), dtype=np.int64, count=len(positions))
    size = int(lengths.sum())
    columns = np.fromiter(chain.from_iterable(positions), dtype=np.int64, count=size)
    correct = np.fromiter(chain.from_iterable(scores), dtype=np.int64, count=size)
    choices = np.frombuffer("".join(answers).encode("ascii"), dtype=np.uint8)
    sitting = np.repeat(np.arange(len(positions)), lengths)
    totals = np.bincount(sitting, weights=correct, minlength=len(positions)).astype(np.int64)
    return Responses(columns, correct, choices, sitting, totals, k)


def item_extras(r: Responses, keys: Sequence[str]) -> list[ItemExtra]:
    """Per column the Moodle and classical figures listed in the module docstring."""
    k = r.k
    cols, x = r.columns, r.correct.astype(float)
    rest = r.totals[r.sitting] - r.correct
    n = np.bincount(cols, minlength=k).astype(float)
    sx = np.bincount(cols, x, minlength=k)
    sr = np.bincount(cols, rest, minlength=k)
    srr = np.bincount(cols, rest * rest.astype(float), minlength=k)
    sxr = np.bincount(cols, x * rest, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(np.maximum(sx - sx * sx / n, 0) / (n - 1))
        cov = (sxr - sx * sr / n) / (n - 1)
        # The largest covariance these scores allow: both sorted in the same order within each
        # column. With 0/1 item scores that pairs the item's s ones with the s highest rest
        # scores, read off a per-column histogram of rest scores instead of sorting.
        top = _top_sums(cols, rest, sx.astype(np.int64), k)
        cov_max = (top - sx * sr / n) / (n - 1)
        efficiency = np.where(cov_max > 0, cov / cov_max, np.nan)
        var_rest = n * srr - sr * sr
        pbis = {}
        for letter, code in OPTION_CODES.items():
            chose = (r.choices == code).astype(float)
            s_i = np.bincount(cols, chose, minlength=k)
            s_ir = np.bincount(cols, chose * rest, minlength=k)
            var_i = n * s_i - s_i * s_i
            pbis[letter] = np.where(var_i * var_rest > 0, (n * s_ir - s_i * sr) / np.sqrt(var_i * var_rest), np.nan)
        order = np.argsort(-r.totals, kind="stable")
        group = max(1, round(UPPER_LOWER * len(r.totals)))
        upper_row = np.zeros(len(r.totals), dtype=bool)
        lower_row = np.zeros(len(r.totals), dtype=bool)
        upper_row[order[:group]] = True
        lower_row[order[-group:]] = True
        up, low = upper_row[r.sitting], lower_row[r.sitting]
        p_up = np.bincount(cols[up], x[up], minlength=k) / np.bincount(cols[up], minlength=k)
        p_low = np.bincount(cols[low], x[low], minlength=k) / np.bincount(cols[low], minlength=k)
    result = []
    for j in range(k):
        key = keys[j]
        guess = 0.0 if not key else (1.0 if "-" in key else len(key) / 4)
        result.append(
            ItemExtra(
                float(sd[j]),
                guess,
                float(efficiency[j]),
                float(p_up[j]),
                float(p_low[j]),
                float(p_up[j] - p_low[j]),
                {letter: float(values[j]) for letter, values in pbis.items()},
            )
        )
    return result


def _top_sums(cols: np.ndarray, rest: np.ndarray, ones: np.ndarray, k: int) -> np.ndarray:
    """Per column, the sum of its ``ones[j]`` largest rest scores."""
    width = int(rest.max()) + 1 if rest.size else 1
    hist = np.bincount(cols * width + rest, minlength=k * width).reshape(k, width)[:, ::-1]
    values = np.arange(width - 1, -1, -1)
    result = np.zeros(k)
    for j in range(k):
        counts = hist[j]
        before = np.cumsum(counts) - counts  # how many higher scores precede each value
        take = np.clip(ones[j] - before, 0, counts)
        result[j] = float((take * values).sum())
    return result


def distribution(totals: np.ndarray, random_guess_score: float, kr20: float) -> Distribution:
    t = np.asarray(totals, dtype=float)
    s = t.size
    d = t - t.mean()
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    k2 = s * m2 / (s - 1) if s > 1 else math.nan
    skew = kurt = math.nan
    if s > 2 and k2 > 0:
        k3 = s * s * m3 / ((s - 1) * (s - 2))
        skew = k3 / k2**1.5
    if s > 3 and k2 > 0:
        k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
        kurt = k4 / k2**2
    error_ratio = math.sqrt(max(0.0, 1 - kr20)) if not math.isnan(kr20) else math.nan
    return Distribution(
        s,
        float(np.median(t)),
        math.sqrt(k2) if not math.isnan(k2) else math.nan,
        float(skew),
        float(kurt),
        int(t.min()),
        int(t.max()),
        random_guess_score,
        error_ratio,
    )


def kr20_matrix(m: np.ndarray) -> float:
    """KR-20 of a candidates x items 0/1 array (NaN when undefined); population variances."""
    n, k = m.shape
    if k < 2 or n < 2:
        return math.nan
    var_total = m.sum(axis=1).var()
    if var_total <= 0:
        return math.nan
    p = m.mean(axis=0)
    return float(k / (k - 1) * (1 - (p * (1 - p)).sum() / var_total))


def module_reliability(r: Responses, module_of: np.ndarray, live: np.ndarray, fixed: bool) -> list[ModuleReliability]:
    """KR-20 per module and whether the subscore is reliable enough, and distinct enough, to report.

    A fixed form is analysed by item; randomly drawn forms by form position within the module
    (the reliability of a randomly drawn module), as the test summary does.
    """
    found = []
    cell_module = module_of[r.columns]
    keep = live[r.columns]
    n_rows = len(r.totals)
    if fixed:
        by_item = np.zeros((n_rows, r.k), dtype=np.int8)
        by_item[r.sitting, r.columns] = r.correct
    for module in sorted(set(module_of[live].tolist())):
        mask = keep & (cell_module == module)
        counts = np.bincount(r.sitting[mask], minlength=n_rows)
        subscores = np.bincount(r.sitting[mask], r.correct[mask], minlength=n_rows)
        if fixed:
            matrix = by_item[:, np.flatnonzero(live & (module_of == module))]
        elif counts.min() == counts.max() and counts.max() > 0:
            matrix = r.correct[mask].reshape(n_rows, int(counts.max()))
        else:
            found.append(
                ModuleReliability(module, 0, math.nan, math.nan, math.nan, math.nan, False, "forms differ in length")
            )
            continue
        rel = kr20_matrix(matrix)
        sem = float(subscores.std() * math.sqrt(max(0.0, 1 - rel))) if not math.isnan(rel) else math.nan
        value = subscore_value(subscores, r.totals, rel)
        if math.isnan(rel):
            ok, reason = False, "KR-20 undefined"
        elif rel < SUBSCORE_KR20:
            ok, reason = False, f"KR-20 below {SUBSCORE_KR20:.2f}"
        elif value is None or not value.added_value:
            ok, reason = False, "no added value over the total score (Haberman PRMSE)"
        else:
            ok, reason = True, f"KR-20 >= {SUBSCORE_KR20:.2f} and adds value over the total (Haberman PRMSE)"
        found.append(
            ModuleReliability(
                module,
                int(matrix.shape[1]),
                rel,
                sem,
                value.prmse_subscore if value else math.nan,
                value.prmse_total if value else math.nan,
                ok,
                reason,
            )
        )
    return found
