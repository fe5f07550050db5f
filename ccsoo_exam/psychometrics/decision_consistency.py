"""Decision consistency and accuracy of a pass/fail cut from one administration (Livingston-Lewis).

Livingston & Lewis (1995): replace the test by an "effective test length" of n equally hard,
independent items that gives the observed reliability,

    n = ((mu - min)(max - mu) - r sigma^2) / (sigma^2 (1 - r)),

fit a beta distribution to the true proportion-correct scores (mean mu / k, variance r sigma^2
/ k^2, method of moments), and let each candidate's observed score on the effective test be
binomial(n, tau). Then, integrating over the true-score distribution:

* accuracy    -- P(the observed decision equals the decision on the true score);
* consistency -- P(two independent parallel forms give the same decision) = E[P^2 + (1-P)^2],
  where P(tau) = P(pass | tau);
* kappa       -- consistency corrected for chance agreement (p^2 + (1-p)^2, p the pass rate).

We use the two-parameter beta on [0, 1] (Livingston-Lewis allow four parameters, with the
bounds estimated; the two-parameter form is the beta-binomial model of Hanson & Brennan 1990,
and what Livingston-Lewis reduce to for 0/1 items whose effective length equals their
number). Reliability is the KR-20 of the scores. Integration is on a fine grid of true scores.

References
----------
Livingston, S. A., & Lewis, C. (1995). Estimating the consistency and accuracy of
    classifications based on test scores. Journal of Educational Measurement, 32(2), 179-197.
Hanson, B. A., & Brennan, R. L. (1990). An investigation of classification consistency indexes
    estimated under alternative strong true score models. Journal of Educational Measurement,
    27(4), 345-359.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GRID = 2000


@dataclass(frozen=True)
class DecisionQuality:
    method: str
    effective_length: int
    accuracy: float
    consistency: float
    kappa: float
    false_pass: float  # observed pass, true fail
    false_fail: float  # observed fail, true pass


def livingston_lewis(totals: np.ndarray, k: int, cut: float, reliability: float) -> DecisionQuality | None:
    """Accuracy and consistency of ``raw >= cut`` on a ``k``-item test; None when undefined."""
    x = np.asarray(totals, dtype=float)
    if x.size < 2 or k < 2 or math.isnan(reliability) or not 0 < reliability < 1:
        return None
    mu, var = x.mean(), x.var()
    if var <= 0:
        return None
    length = ((mu - 0) * (k - mu) - reliability * var) / (var * (1 - reliability))
    n = max(2, round(length))
    m = mu / k
    true_var = reliability * var / (k * k)
    spread = m * (1 - m) / true_var - 1 if true_var > 0 else -1
    if not 0 < m < 1 or spread <= 0:
        return None
    a, b = m * spread, (1 - m) * spread
    tau = (np.arange(GRID) + 0.5) / GRID
    # Beta density up to its constant (normalised below), in logs so large a, b do not overflow.
    log_w = (a - 1) * np.log(tau) + (b - 1) * np.log1p(-tau)
    weight = np.exp(log_w - log_w.max())
    weight = weight / weight.sum()
    proportion = cut / k
    cut_n = math.ceil(round(proportion * n, 9))  # pass on the effective test: at least this many
    p_pass = _binomial_at_least(cut_n, n, tau)
    true_pass = tau >= proportion
    accuracy = float((weight * np.where(true_pass, p_pass, 1 - p_pass)).sum())
    consistency = float((weight * (p_pass**2 + (1 - p_pass) ** 2)).sum())
    rate = float((weight * p_pass).sum())
    chance = rate**2 + (1 - rate) ** 2
    kappa = (consistency - chance) / (1 - chance) if chance < 1 else math.nan
    false_pass = float((weight * np.where(true_pass, 0.0, p_pass)).sum())
    false_fail = float((weight * np.where(true_pass, 1 - p_pass, 0.0)).sum())
    return DecisionQuality("Livingston-Lewis", n, accuracy, consistency, kappa, false_pass, false_fail)


def _binomial_at_least(c: int, n: int, tau: np.ndarray) -> np.ndarray:
    """P(X >= c) for X ~ binomial(n, tau), for every tau, summed from log probabilities.

    numpy only: importing scipy.stats costs more than the whole item analysis.
    """
    if c <= 0:
        return np.ones_like(tau)
    if c > n:
        return np.zeros_like(tau)
    x = np.arange(c, n + 1)
    log_choose = np.array([math.lgamma(n + 1) - math.lgamma(v + 1) - math.lgamma(n - v + 1) for v in x])
    log_p = log_choose[:, None] + x[:, None] * np.log(tau)[None, :] + (n - x)[:, None] * np.log1p(-tau)[None, :]
    return np.minimum(1.0, np.exp(log_p).sum(axis=0))
