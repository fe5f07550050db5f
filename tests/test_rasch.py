"""Rasch (JML) calibration: recovery of known difficulties, extreme scores, fit, the public function."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ccsoo_exam import stats
from ccsoo_exam.rasch import rasch, rasch_responses


def simulated(n: int, k: int, seed: int = 1, spread: float = 2.0):
    rng = np.random.default_rng(seed)
    b = rng.uniform(-spread, spread, k)
    b -= b.mean()
    theta = rng.normal(0.3, 1.0, n)
    p = 1 / (1 + np.exp(-(theta[:, None] - b[None, :])))
    return (rng.random((n, k)) < p).astype(int), b, theta


def recovery(estimate: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    return float(np.corrcoef(estimate, truth)[0, 1]), float(np.sqrt(np.mean((estimate - truth) ** 2)))


def test_recovers_known_difficulties_at_1000_candidates() -> None:
    x, b, theta = simulated(1000, 40)
    result = rasch(x.tolist())
    corr, rmse = recovery(result.difficulties, b)
    assert corr > 0.995 and rmse < 0.10
    assert abs(result.difficulties.mean()) < 1e-9  # centred on 0
    assert recovery(result.abilities[~result.extreme_persons], theta[~result.extreme_persons])[0] > 0.9
    # The standard errors match the spread of the estimates around the truth.
    assert 0.5 < rmse / float(np.mean(result.difficulty_se)) < 1.5
    assert result.bias_correction == pytest.approx(39 / 40, abs=0.002)


def test_bias_correction_shrinks_the_jml_spread() -> None:
    # JML on a short test spreads difficulties by about L/(L-1); the corrected spread is truer.
    x, b, _ = simulated(3000, 10, seed=4)
    result = rasch(x.tolist())
    raw_spread = result.difficulties.std() / result.bias_correction
    assert abs(result.difficulties.std() - b.std()) < abs(raw_spread - b.std())


def test_sparse_loft_design_with_none_for_unseen_items() -> None:
    rng = np.random.default_rng(7)
    x, b, _ = simulated(1000, 120, seed=7)
    matrix: list[list[int | None]] = []
    for row in x.tolist():
        seen = set(rng.choice(120, 40, replace=False).tolist())
        matrix.append([v if i in seen else None for i, v in enumerate(row)])
    result = rasch(matrix)
    corr, rmse = recovery(result.difficulties, b)
    assert corr > 0.98 and rmse < 0.25
    assert result.item_counts.sum() == 40 * 1000


def test_extreme_scores_get_finite_flagged_estimates() -> None:
    x, _, _ = simulated(400, 20, seed=3)
    x[0, :] = 1  # everything right
    x[1, :] = 0  # everything wrong
    x[:, 5] = 1  # an item everyone got right
    result = rasch(x.tolist())
    assert result.extreme_persons[0] and result.extreme_persons[1]
    assert result.extreme_items[5] and result.extreme_items.sum() == 1
    others = result.abilities[2:]
    assert math.isfinite(result.abilities[0]) and result.abilities[0] > others.max()
    assert math.isfinite(result.abilities[1]) and result.abilities[1] < others.min()
    assert math.isfinite(result.difficulties[5]) and result.difficulties[5] < np.delete(result.difficulties, 5).min()
    assert math.isnan(result.person_infit[0]) and math.isnan(result.item_outfit[5])
    assert math.isfinite(result.ability_se[0]) and math.isfinite(result.difficulty_se[5])


def test_fit_flags_an_item_that_ignores_ability() -> None:
    x, _, _ = simulated(1000, 30, seed=5)
    rng = np.random.default_rng(9)
    x[:, 0] = (rng.random(1000) < 0.5).astype(int)  # answered at random
    result = rasch(x.tolist())
    assert result.item_infit[0] > 1.15 and result.item_outfit[0] > 1.2
    fitting = np.delete(result.item_infit, 0)
    assert np.all((fitting > 0.85) & (fitting < 1.15))


def test_unseen_item_has_no_estimate_and_bad_values_are_refused() -> None:
    x, _, _ = simulated(200, 5, seed=2)
    matrix = [[*row, None] for row in x.tolist()]
    result = rasch(matrix)
    assert math.isnan(result.difficulties[5]) and abs(np.nanmean(result.difficulties)) < 1e-9
    with pytest.raises(ValueError, match="row 0, column 1: 2 is not 0, 1 or None"):
        rasch([[1, 2], [0, 1]])
    with pytest.raises(ValueError, match="extreme"):
        rasch([[1, 1], [1, 1]])


def test_stats_reexports_rasch_and_long_format_agrees() -> None:
    assert stats.rasch is rasch
    x, _, _ = simulated(300, 12, seed=8)
    persons, items = np.nonzero(np.ones_like(x))
    long = rasch_responses(persons, items, x[persons, items].astype(np.int8), 300, 12)
    assert np.allclose(long.difficulties, rasch(x.tolist()).difficulties)
