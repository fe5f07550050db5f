"""Reliability beyond KR-20: ICC confidence intervals, the conditional SEM, subscore added value.

* ``icc_interval`` -- the confidence interval of ICC(A,1) and ICC(A,k) (two-way random effects,
  absolute agreement) by McGraw & Wong (1996, Table 7, case 2A): Satterthwaite's degrees of
  freedom ``v`` from the single-measure ICC, F quantiles, and the Spearman-Brown step for the
  average of k raters (as pingouin and psych::ICC compute it).
* ``binomial_csem`` -- Lord's (1955) binomial-error conditional SEM at raw score x of k items,
  ``sqrt(x (k - x) / (k - 1))``: the SEM *at the cut*, where the pass/fail decision is made,
  rather than the test's average SEM.
* ``subscore_value`` -- Haberman's (2008) PRMSE criterion: a module subscore has added value
  over the total when its proportional reduction in mean squared error (its reliability)
  exceeds the PRMSE of predicting the true subscore from the total score. The report shows a
  subscore only when KR-20 >= 0.70 *and* it has added value (Sinharay 2010 found most
  certification subscores fail the second test; 0.70 is the usual floor for decisions about
  individuals' relative strengths, Nunnally 1978).

References
----------
McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30-46 (and the 1996 correction, 1(4), 390).
Lord, F. M. (1955). Estimating test reliability. Educational and Psychological Measurement, 15, 325-336.
Haberman, S. J. (2008). When can subscores have value? Journal of Educational and Behavioral
    Statistics, 33(2), 204-229.
Sinharay, S. (2010). How often do subscores have added value? Journal of Educational
    Measurement, 47(2), 150-174.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_ITEM_N = 30  # item statistics from fewer candidates are flagged as unstable
MIN_ICC_N = 5  # a panel ICC from fewer candidates gets no descriptive band
SUBSCORE_KR20 = 0.70


@dataclass(frozen=True)
class IccInterval:
    single: float
    single_low: float
    single_high: float
    average: float
    average_low: float
    average_high: float
    level: float


def icc_interval(table: Sequence[Sequence[float]], level: float = 0.95) -> IccInterval:
    """ICC(A,1), ICC(A,k) and their ``level`` confidence intervals for an n x k complete table."""
    from scipy.special import fdtri  # the F quantile; scipy.stats would cost a second to import

    x = np.asarray(table, dtype=float)
    n, k = x.shape
    if n < 2 or k < 2:
        raise ValueError(f"an ICC interval needs at least 2 rows and 2 columns, got {n} x {k}")
    grand = x.mean()
    msr = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    sse = ((x - grand) ** 2).sum() - (n - 1) * msr - (k - 1) * msc
    mse = sse / ((n - 1) * (k - 1))
    denominator = msr + (k - 1) * mse + k * (msc - mse) / n
    if denominator <= 0:
        raise ValueError("ICC is undefined for this table (no variance)")
    single = (msr - mse) / denominator
    average = (msr - mse) / (msr + (msc - mse) / n)
    alpha = 1 - level
    if single >= 1 or mse <= 0:
        return IccInterval(single, single, 1.0, average, average, 1.0, level)
    a = k * single / (n * (1 - single))
    b = 1 + k * single * (n - 1) / (n * (1 - single))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
    f_low = fdtri(n - 1, v, 1 - alpha / 2)
    f_high = fdtri(v, n - 1, 1 - alpha / 2)
    low = n * (msr - f_low * mse) / (f_low * (k * msc + (k * n - k - n) * mse) + n * msr)
    high = n * (f_high * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_high * msr)

    def brown(r: float) -> float:
        return k * r / (1 + (k - 1) * r)

    return IccInterval(
        float(single), float(low), float(high), float(average), float(brown(low)), float(brown(high)), level
    )


def binomial_csem(x: float, k: int) -> float:
    """Lord's binomial-error conditional SEM at raw score ``x`` of ``k`` items (NaN for k < 2)."""
    if k < 2:
        return math.nan
    x = min(max(x, 0.0), float(k))
    return math.sqrt(x * (k - x) / (k - 1))


@dataclass(frozen=True)
class SubscoreValue:
    prmse_subscore: float  # = the subscore's reliability
    prmse_total: float  # predicting the true subscore from the total
    added_value: bool


def subscore_value(subscores: np.ndarray, totals: np.ndarray, reliability: float) -> SubscoreValue | None:
    """Haberman's PRMSE comparison for one subscore (None when undefined: no variance).

    With s the subscore, x the total, rho_s the subscore's reliability:
    var(tau_s) = rho_s var(s); cov(tau_s, x) = cov(s, x) - (1 - rho_s) var(s) (the subscore's
    error is part of the total); PRMSE_x = cov(tau_s, x)^2 / (var(tau_s) var(x)).
    """
    s = np.asarray(subscores, dtype=float)
    x = np.asarray(totals, dtype=float)
    var_s, var_x = s.var(), x.var()
    if not (var_s > 0 and var_x > 0) or math.isnan(reliability) or reliability <= 0:
        return None
    cov = ((s - s.mean()) * (x - x.mean())).mean()
    true_var = reliability * var_s
    true_cov = cov - (1 - reliability) * var_s
    prmse_x = min(1.0, true_cov**2 / (true_var * var_x))
    return SubscoreValue(reliability, float(prmse_x), reliability > prmse_x)
