"""Rasch (1PL) calibration by joint maximum likelihood, with the (L-1)/L bias correction.

Why JML: the exam's forms are linear-on-the-fly, so nearly every candidate sees a different
set of items and the response matrix is sparse by design. JML handles that directly (sums run
over the cells a candidate saw) in O(responses) per iteration with numpy, which keeps a
100,000-sitting calibration within the memory of the responses themselves. Its known bias (item
difficulties spread too wide by about L/(L-1) for tests of L items) is removed by the usual
correction (Wright & Douglas 1977; Winsteps' STBIAS); at L = 80 it is 1.3 %. CML would be
unbiased without a correction, but its elementary symmetric functions are per *item set*: with
LOFT that is O(L^2) per candidate per iteration, for a difference the correction already removes.
No maintained Python IRT library covers sparse JML with fit statistics without heavy dependencies.

Extreme scores: a candidate with every seen item right (or wrong) has an infinite ML ability, and
an item everyone got right (or wrong) an infinite difficulty; they carry no information about the
others' relative positions. They are set aside (repeatedly, since dropping one can make another
extreme) while the rest are estimated, then given finite estimates at an adjusted score of 0.3
from the extreme (Winsteps' EXTRSCORE default), with the standard error at that estimate and no
fit statistics (NaN). Items nobody saw get NaN.

Difficulties are centred so that the items with an estimate average 0; abilities share the scale.
Infit is the information-weighted mean square, outfit the unweighted mean square of standardised
residuals; both expect 1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXTREME_ADJUSTMENT = 0.3
MAX_ITERATIONS = 500
CONVERGENCE = 1e-6  # logits: the largest change of any estimate in an iteration
MAX_STEP = 1.0  # logits: Newton steps are clipped, so a poor start cannot overshoot


@dataclass(frozen=True)
class RaschResult:
    difficulties: np.ndarray  # per item, centred on 0; NaN for an item no candidate saw
    difficulty_se: np.ndarray
    abilities: np.ndarray  # per candidate, on the same scale
    ability_se: np.ndarray
    item_infit: np.ndarray  # NaN for extreme or unseen items
    item_outfit: np.ndarray
    person_infit: np.ndarray  # NaN for extreme candidates
    person_outfit: np.ndarray
    extreme_items: np.ndarray  # bool: everyone right or everyone wrong (among non-extreme candidates)
    extreme_persons: np.ndarray  # bool: every seen item right or every one wrong
    item_counts: np.ndarray  # candidates who saw each item
    iterations: int
    bias_correction: float  # the (L-1)/L applied to the difficulties


def rasch(matrix: Sequence[Sequence[int | bool | None]]) -> RaschResult:
    """Calibrate a candidates x items matrix of 0/1 (None where the candidate did not see the item)."""
    rows = list(matrix)
    if not rows:
        raise ValueError("no candidates to calibrate")
    width = len(rows[0])
    persons, items, scores = [], [], []
    for p, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"row {p} has {len(row)} values, not {width}")
        for i, value in enumerate(row):
            if value is None:
                continue
            if value not in (0, 1):
                raise ValueError(f"row {p}, column {i}: {value!r} is not 0, 1 or None")
            persons.append(p)
            items.append(i)
            scores.append(int(value))
    return rasch_responses(
        np.array(persons, dtype=np.int64),
        np.array(items, dtype=np.int64),
        np.array(scores, dtype=np.int8),
        len(rows),
        width,
    )


def rasch_responses(
    persons: np.ndarray, items: np.ndarray, scores: np.ndarray, n_persons: int, n_items: int
) -> RaschResult:
    """Calibrate from long-format responses: one (person, item, 0/1) per response seen."""
    x = scores.astype(float)
    seen_person = np.bincount(persons, minlength=n_persons)
    seen_item = np.bincount(items, minlength=n_items)
    # Set aside extreme candidates and items until none remain among the rest.
    keep_p = seen_person > 0
    keep_i = seen_item > 0
    while True:
        live = keep_p[persons] & keep_i[items]
        n_p = np.bincount(persons[live], minlength=n_persons)
        r_p = np.bincount(persons[live], weights=x[live], minlength=n_persons)
        n_i = np.bincount(items[live], minlength=n_items)
        s_i = np.bincount(items[live], weights=x[live], minlength=n_items)
        new_p = keep_p & (n_p > 0) & (r_p > 0) & (r_p < n_p)
        new_i = keep_i & (n_i > 0) & (s_i > 0) & (s_i < n_i)
        if np.array_equal(new_p, keep_p) and np.array_equal(new_i, keep_i):
            break
        keep_p, keep_i = new_p, new_i
    if not keep_i.any() or not keep_p.any():
        raise ValueError("every candidate or every item has an extreme score; nothing to calibrate")
    live = keep_p[persons] & keep_i[items]
    lp, li, lx = persons[live], items[live], x[live]
    theta = np.zeros(n_persons)
    b = np.zeros(n_items)
    # Start from the logits of the proportions: few iterations from there.
    b[keep_i] = -np.log(s_i[keep_i] / (n_i[keep_i] - s_i[keep_i]))
    b[keep_i] -= b[keep_i].mean()
    theta[keep_p] = np.log(r_p[keep_p] / (n_p[keep_p] - r_p[keep_p]))
    iterations = 0
    while iterations < MAX_ITERATIONS:
        iterations += 1
        p = _expit(theta[lp] - b[li])
        info = p * (1 - p)
        grad_t = r_p - np.bincount(lp, weights=p, minlength=n_persons)
        info_t = np.bincount(lp, weights=info, minlength=n_persons)
        step_t = np.zeros(n_persons)
        step_t[keep_p] = np.clip(grad_t[keep_p] / info_t[keep_p], -MAX_STEP, MAX_STEP)
        theta += step_t
        p = _expit(theta[lp] - b[li])
        info = p * (1 - p)
        grad_b = np.bincount(li, weights=p, minlength=n_items) - s_i
        info_b = np.bincount(li, weights=info, minlength=n_items)
        step_b = np.zeros(n_items)
        step_b[keep_i] = np.clip(grad_b[keep_i] / info_b[keep_i], -MAX_STEP, MAX_STEP)
        b += step_b
        shift = b[keep_i].mean()
        b[keep_i] -= shift
        theta[keep_p] -= shift
        if max(np.abs(step_t).max(), np.abs(step_b).max()) < CONVERGENCE:
            break
    # The JML bias correction: L is the mean number of items a (non-extreme) candidate saw.
    length = float(n_p[keep_p].mean())
    correction = (length - 1) / length if length > 1 else 1.0
    b[keep_i] *= correction
    # Abilities re-estimated against the corrected difficulties (items fixed).
    theta = _fit_abilities(lp, li, lx, b, theta, keep_p, r_p, n_persons)
    # Extreme items and candidates: estimates at a score 0.3 from the extreme, against the others.
    extreme_i = (seen_item > 0) & ~keep_i
    extreme_p = (seen_person > 0) & ~keep_p
    if extreme_i.any():
        b = _fit_extremes(items, persons, x, theta, b, extreme_i, keep_p, n_items, sign=-1.0)
    if extreme_p.any():
        theta = _fit_extremes(persons, items, x, b, theta, extreme_p, keep_i | extreme_i, n_persons, sign=1.0)
    estimated_i = seen_item > 0
    shift = b[estimated_i].mean()
    b[estimated_i] -= shift
    theta[seen_person > 0] -= shift
    b[~estimated_i] = np.nan
    theta[seen_person == 0] = np.nan
    # Standard errors and fit, over every response of the estimated people and items.
    ok = (seen_person[persons] > 0) & estimated_i[items]
    p = _expit(theta[persons[ok]] - b[items[ok]])
    info = p * (1 - p)
    residual2 = (x[ok] - p) ** 2
    z2 = residual2 / info
    info_i = np.bincount(items[ok], weights=info, minlength=n_items)
    info_p = np.bincount(persons[ok], weights=info, minlength=n_persons)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_i = 1 / np.sqrt(info_i)
        se_p = 1 / np.sqrt(info_p)
        fit_ok = ok & keep_p[persons] & keep_i[items]
        fp, fi = persons[fit_ok], items[fit_ok]
        pf = _expit(theta[fp] - b[fi])
        inf_f = pf * (1 - pf)
        r2 = (x[fit_ok] - pf) ** 2
        n_fi = np.bincount(fi, minlength=n_items)
        n_fp = np.bincount(fp, minlength=n_persons)
        item_infit = np.bincount(fi, weights=r2, minlength=n_items) / np.bincount(fi, weights=inf_f, minlength=n_items)
        item_outfit = np.bincount(fi, weights=r2 / inf_f, minlength=n_items) / n_fi
        person_infit = np.bincount(fp, weights=r2, minlength=n_persons) / np.bincount(
            fp, weights=inf_f, minlength=n_persons
        )
        person_outfit = np.bincount(fp, weights=r2 / inf_f, minlength=n_persons) / n_fp
    del z2, residual2
    se_i[~estimated_i] = np.nan
    se_p[seen_person == 0] = np.nan
    for array, keep in (
        (item_infit, keep_i),
        (item_outfit, keep_i),
        (person_infit, keep_p),
        (person_outfit, keep_p),
    ):
        array[~keep] = np.nan
    return RaschResult(
        difficulties=b,
        difficulty_se=se_i,
        abilities=theta,
        ability_se=se_p,
        item_infit=item_infit,
        item_outfit=item_outfit,
        person_infit=person_infit,
        person_outfit=person_outfit,
        extreme_items=extreme_i,
        extreme_persons=extreme_p,
        item_counts=seen_item,
        iterations=iterations,
        bias_correction=correction,
    )


def _expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _fit_abilities(
    lp: np.ndarray,
    li: np.ndarray,
    lx: np.ndarray,
    b: np.ndarray,
    theta: np.ndarray,
    keep_p: np.ndarray,
    r_p: np.ndarray,
    n_persons: int,
) -> np.ndarray:
    theta = theta.copy()
    for _ in range(MAX_ITERATIONS):
        p = _expit(theta[lp] - b[li])
        grad = r_p - np.bincount(lp, weights=p, minlength=n_persons)
        info = np.bincount(lp, weights=p * (1 - p), minlength=n_persons)
        step = np.zeros(n_persons)
        step[keep_p] = np.clip(grad[keep_p] / info[keep_p], -MAX_STEP, MAX_STEP)
        theta += step
        if np.abs(step).max() < CONVERGENCE:
            break
    return theta


def _fit_extremes(
    own: np.ndarray,
    other: np.ndarray,
    x: np.ndarray,
    other_values: np.ndarray,
    values: np.ndarray,
    extreme: np.ndarray,
    usable_other: np.ndarray,
    n_own: int,
    *,
    sign: float,
) -> np.ndarray:
    """Estimates for extreme persons (sign +1) or items (sign -1) at a score 0.3 from the extreme."""
    values = values.copy()
    mask = extreme[own] & usable_other[other]
    o, t, xs = own[mask], other[mask], x[mask]
    count = np.bincount(o, minlength=n_own).astype(float)
    score = np.bincount(o, weights=xs, minlength=n_own)
    # Persons: ability for score r (right answers); items: difficulty for score s (right answers).
    target = np.clip(score, EXTREME_ADJUSTMENT, np.maximum(count - EXTREME_ADJUSTMENT, EXTREME_ADJUSTMENT))
    has = extreme & (count > 0)
    values[has] = 0.0
    for _ in range(MAX_ITERATIONS):
        z = values[o] - other_values[t] if sign > 0 else other_values[t] - values[o]
        p = _expit(z)
        expected = np.bincount(o, weights=p, minlength=n_own)
        info = np.bincount(o, weights=p * (1 - p), minlength=n_own)
        step = np.zeros(n_own)
        # d(expected)/d(value) is +info for a person's ability and -info for an item's difficulty.
        step[has] = np.clip((target[has] - expected[has]) / (sign * info[has]), -MAX_STEP, MAX_STEP)
        values += step
        if np.abs(step).max() < CONVERGENCE:
            break
    return values
