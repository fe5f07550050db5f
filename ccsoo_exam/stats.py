"""Reliability and item statistics for exam results, in pure standard-library Python.

Three families of figures, each with the publication its formulas come from:

* ``icc`` -- intraclass correlation of a complete candidates x panelists table of scores
  (Shrout & Fleiss 1979; form names of McGraw & Wong 1996), with ``icc_band`` for the
  Koo & Li (2016) descriptive bands.
* ``krippendorff_alpha`` -- agreement of raters who need not all score every candidate
  (Krippendorff 2011, coincidence-matrix method), with ``alpha_band`` for Krippendorff's
  (2004) acceptance thresholds.
* ``kr20``, ``item_statistics`` and ``test_summary`` -- internal consistency and classical
  item analysis of a candidates x items 0/1 matrix (Kuder & Richardson 1937).

Every function validates its input and raises ``ValueError`` with a message saying what is
wrong, including when a coefficient is undefined for the data (0/0), so callers never see a
``ZeroDivisionError`` or a silent infinity.

* ``rasch`` -- Rasch (1PL) calibration (joint maximum likelihood with the (L-1)/L bias
  correction), implemented with numpy in ``ccsoo_exam.rasch`` and re-exported here lazily.

The module itself must stay free of numpy, Textual and SQLite: it is imported by the domain
layer, by the reports and by tests that run without a terminal or a database; ``rasch`` loads
numpy only when it is first used.

References
----------
Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in assessing rater
    reliability. Psychological Bulletin, 86(2), 420-428.
McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30-46.
Koo, T. K., & Li, M. Y. (2016). A guideline of selecting and reporting intraclass
    correlation coefficients for reliability research. Journal of Chiropractic Medicine,
    15(2), 155-163.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
    Communication Departmental Papers, University of Pennsylvania.
Krippendorff, K. (2004). Content Analysis: An Introduction to Its Methodology (2nd ed.).
    Thousand Oaks, CA: Sage.
Kuder, G. F., & Richardson, M. W. (1937). The theory of the estimation of test
    reliability. Psychometrika, 2(3), 151-160.
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16(3), 297-334.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, compress
from operator import mul

__all__ = [
    "ALPHA_LEVELS",
    "ICC_FORMS",
    "ItemStatistic",
    "TestSummary",
    "alpha_band",
    "icc",
    "icc_band",
    "item_statistics",
    "kr20",
    "krippendorff_alpha",
    "rasch",  # noqa: F822 (provided lazily by __getattr__ below)
    "test_summary",
]


def __getattr__(name: str) -> object:
    # ``stats.rasch`` without paying for numpy on every import of the classical statistics.
    if name in ("rasch", "RaschResult"):
        from ccsoo_exam import rasch as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ICC_FORMS: tuple[str, ...] = ("1,1", "A,1", "C,1", "1,k", "A,k", "C,k")
ALPHA_LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

# A denominator this small relative to the data's own mean square is rounding noise left
# over from a true zero (e.g. equal row means whose float means differ in the last bit);
# dividing by it would turn an undefined coefficient into a huge meaningless number.
_REL_EPS = 1e-12

# Squared difference between two values, as a function of the pair (Krippendorff's delta^2).
_Delta = Callable[[Hashable, Hashable], float]


# ---------------------------------------------------------------------------------------
# Intraclass correlation
# ---------------------------------------------------------------------------------------


def _real(value: object, where: str) -> float:
    # Strings are rejected even though float("3") works: a score arriving as text means the
    # caller forgot to parse something, and silently accepting it hides that bug.
    if isinstance(value, (str, bytes)) or value is None:
        raise ValueError(f"{where}: expected a number, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected a number, got {value!r}") from None
    if math.isnan(number):
        raise ValueError(f"{where}: score is NaN")
    if math.isinf(number):
        raise ValueError(f"{where}: score is infinite")
    return number


def _rating_table(ratings: Sequence[Sequence[float]]) -> list[list[float]]:
    rows = list(ratings)
    if len(rows) < 2:
        raise ValueError(f"ICC needs at least 2 candidates (rows), got {len(rows)}")
    k = len(rows[0])
    if k < 2:
        raise ValueError(f"ICC needs at least 2 panelists (columns), got {k}")
    table: list[list[float]] = []
    for i, row in enumerate(rows):
        if len(row) != k:
            raise ValueError(f"ICC needs complete data: row {i} has {len(row)} scores, row 0 has {k}")
        table.append([_real(x, f"row {i}, column {j}") for j, x in enumerate(row)])
    return table


def icc(ratings: Sequence[Sequence[float]], form: str) -> float:
    """Intraclass correlation of a complete candidates x panelists table of scores.

    ``ratings`` has one row per candidate (target) and one column per panelist (judge);
    every cell must hold a finite number. ``form`` selects the model, named after
    McGraw & Wong (1996) with the Shrout & Fleiss (1979) equivalents:

    ======  =====================  ==============================================
    form    Shrout & Fleiss        meaning
    ======  =====================  ==============================================
    "1,1"   ICC(1,1)               one-way random, single panelist
    "A,1"   ICC(2,1)               two-way random, absolute agreement, single
    "C,1"   ICC(3,1)               two-way, consistency, single
    "1,k"   ICC(1,k)               one-way random, mean of the k panelists
    "A,k"   ICC(2,k)               two-way random, absolute agreement, mean of k
    "C,k"   ICC(3,k)               two-way, consistency, mean of k
    ======  =====================  ==============================================

    With n targets, k judges and the two-way ANOVA mean squares BMS (between targets,
    n-1 df), JMS (between judges, k-1 df), EMS (residual, (n-1)(k-1) df) and WMS (within
    targets, n(k-1) df), Shrout & Fleiss (1979) give (the k forms being the Spearman-Brown
    step-up of the single-rater forms)::

        ICC(1,1) = (BMS - WMS) / (BMS + (k-1) WMS)
        ICC(2,1) = (BMS - EMS) / (BMS + (k-1) EMS + k (JMS - EMS) / n)
        ICC(3,1) = (BMS - EMS) / (BMS + (k-1) EMS)
        ICC(1,k) = (BMS - WMS) / BMS
        ICC(2,k) = (BMS - EMS) / (BMS + (JMS - EMS) / n)
        ICC(3,k) = (BMS - EMS) / BMS

    Raises ``ValueError`` for fewer than 2 rows or 2 columns, ragged rows, non-numeric,
    NaN or infinite scores, an unknown form, and data for which the chosen coefficient
    is undefined: a zero denominator (e.g. every score identical) or, possible only for
    ICC(A,k) on tiny tables, a negative one, where the formula yields values above 1.
    """
    if form not in ICC_FORMS:
        raise ValueError(f"unknown ICC form {form!r}; expected one of {', '.join(ICC_FORMS)}")
    table = _rating_table(ratings)
    n, k = len(table), len(table[0])

    # fsum keeps the sums correctly rounded, so the result does not depend on the order of
    # candidates or panelists and near-constant data does not lose its variance to rounding.
    grand = math.fsum(math.fsum(row) for row in table) / (n * k)
    row_means = [math.fsum(row) / k for row in table]
    col_means = [math.fsum(col) / n for col in zip(*table, strict=True)]

    ss_total = math.fsum((x - grand) ** 2 for row in table for x in row)
    if ss_total == 0.0:
        raise ValueError("ICC is undefined: every score in the table is identical")
    ss_rows = k * math.fsum((m - grand) ** 2 for m in row_means)
    ss_cols = n * math.fsum((m - grand) ** 2 for m in col_means)
    # Within and residual sums of squares are summed directly rather than obtained by
    # subtraction, which could leave a small negative number where the true value is zero.
    ss_within = math.fsum((x - rm) ** 2 for row, rm in zip(table, row_means, strict=True) for x in row)
    ss_error = math.fsum(
        (x - rm - cm + grand) ** 2
        for row, rm in zip(table, row_means, strict=True)
        for x, cm in zip(row, col_means, strict=True)
    )

    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    wms = ss_within / (n * (k - 1))
    ems = ss_error / ((n - 1) * (k - 1))

    if form == "1,1":
        num, den = bms - wms, bms + (k - 1) * wms
    elif form == "A,1":
        num, den = bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n
    elif form == "C,1":
        num, den = bms - ems, bms + (k - 1) * ems
    elif form == "1,k":
        num, den = bms - wms, bms
    elif form == "A,k":
        num, den = bms - ems, bms + (jms - ems) / n
    else:  # "C,k"
        num, den = bms - ems, bms

    # Only ICC(A,k) can have a negative denominator (BMS + (JMS - EMS)/n with EMS large);
    # the ratio is then not a correlation at all, so it is refused like a zero one.
    if den <= _REL_EPS * (ss_total / (n * k - 1)):
        raise ValueError(
            f"ICC({form}) is undefined for these data: its denominator is zero or negative "
            "(too little variation between candidates relative to the other mean squares)"
        )
    return num / den


def icc_band(value: float) -> str:
    """Koo & Li (2016) descriptive band for an ICC value.

    Koo & Li (2016): values "less than 0.5, between 0.5 and 0.75, between 0.75 and
    0.9, and greater than 0.90 are indicative of poor, moderate, good, and excellent
    reliability". Boundaries go to the upper band except 0.9, which is "good" because the
    paper requires *greater than* 0.90 for "excellent". Koo & Li recommend applying the
    bands to the 95% confidence interval; this function classifies a point estimate only.

    Returns "poor", "moderate", "good" or "excellent"; raises ``ValueError`` for NaN.
    """
    if math.isnan(value):
        raise ValueError("cannot band an ICC of NaN")
    if value < 0.5:
        return "poor"
    if value < 0.75:
        return "moderate"
    if value <= 0.9:
        return "good"
    return "excellent"


# ---------------------------------------------------------------------------------------
# Krippendorff's alpha
# ---------------------------------------------------------------------------------------


def _alpha_value(value: object, level: str, where: str) -> Hashable:
    if level == "nominal":
        # NaN != NaN, so it would never pair with anything and would quietly distort counts.
        if isinstance(value, float) and math.isnan(value):
            raise ValueError(f"{where}: value is NaN (use None for a missing value)")
        if not isinstance(value, Hashable):
            raise ValueError(f"{where}: nominal values must be hashable, got {value!r}")
        return value
    # numbers.Real admits numpy scalars and Fractions as well as int and float. ValueError,
    # not TypeError, so that callers handle a single exception type for all bad data.
    if not isinstance(value, numbers.Real):
        raise ValueError(f"{where}: {level} values must be numbers, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"{where}: value is NaN (use None for a missing value)")
    if math.isinf(value):
        raise ValueError(f"{where}: value is infinite")
    if level == "ratio" and value < 0:
        # The ratio metric divides by c + k and presumes an absolute zero.
        raise ValueError(f"{where}: ratio values must be non-negative, got {value!r}")
    return float(value)


def krippendorff_alpha(data: Sequence[Sequence[Hashable | None]], level: str) -> float:
    """Krippendorff's alpha for raters x units data with missing values.

    ``data`` has one row per rater (coder, panelist) and one column per unit (candidate);
    ``None`` marks a unit the rater did not score. ``level`` is the metric:
    "nominal" (any hashable values), or "ordinal", "interval", "ratio" (real numbers;
    ratio values must be non-negative).

    Follows Krippendorff (2011), sections C-E. Units with fewer than 2 values are not
    pairable and are dropped. For each pairable unit u with m_u values, every ordered pair
    of values from different raters adds 1/(m_u - 1) to the coincidence matrix o_ck; the
    marginals are n_c = sum_k o_ck and n = sum_c n_c. Then::

        alpha = 1 - (n - 1) * sum_ck o_ck delta2_ck / sum_ck n_c n_k delta2_ck

    with the difference functions of Krippendorff (2011), section E:

    * nominal:  delta2 = 0 if c == k else 1
    * ordinal:  delta2 = (sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2, over the sorted values
    * interval: delta2 = (c - k) ** 2
    * ratio:    delta2 = ((c - k) / (c + k)) ** 2

    The coincidence matrix is kept as a dict over the pairs of distinct values that meet
    in some unit, so the work is linear in the number of scores. The expected-disagreement
    sum is closed-form for nominal, ordinal (the ordinal delta equals the squared
    difference of mid-ranks) and interval data; for ratio data it loops over pairs of
    distinct values (V**2 for V distinct values, fine for score scales, slow for tens of
    thousands of distinct reals).

    Raises ``ValueError`` for an unknown level, rows of different lengths, NaN, infinite
    or (for numeric levels) non-numeric values, negative ratio values, data with no
    pairable unit, and data whose pairable values are all identical (alpha is 0/0 there).
    """
    if level not in ALPHA_LEVELS:
        raise ValueError(f"unknown alpha level {level!r}; expected one of {', '.join(ALPHA_LEVELS)}")
    rows = list(data)
    if not rows:
        raise ValueError("alpha needs at least one rater row, got none")
    n_units = len(rows[0])
    for r, row in enumerate(rows):
        if len(row) != n_units:
            raise ValueError(
                f"every rater row must cover the same units: row {r} has {len(row)} entries, row 0 has {n_units}"
            )

    # Off-diagonal coincidences only: the diagonal carries no disagreement, and the
    # marginals n_c are just the value counts over pairable units.
    coincidence: dict[tuple[Hashable, Hashable], float] = {}
    marginals: Counter[Hashable] = Counter()
    for u, unit in enumerate(zip(*rows, strict=True)):
        values = [_alpha_value(v, level, f"rater {r}, unit {u}") for r, v in enumerate(unit) if v is not None]
        m_u = len(values)
        if m_u < 2:
            continue
        counts = Counter(values)
        marginals.update(counts)
        if len(counts) == 1:
            continue
        weight = 1.0 / (m_u - 1)
        items = list(counts.items())
        for i, (c, n_c) in enumerate(items):
            for k, n_k in items[i + 1 :]:
                # Store each unordered pair once with an ordered pair's weight; the factor
                # of 2 for (k, c) cancels against the same factor in the expected sum.
                key = (c, k)
                coincidence[key] = coincidence.get(key, 0.0) + n_c * n_k * weight

    n = sum(marginals.values())
    if n == 0:
        raise ValueError("alpha is undefined: no unit has 2 or more values to pair")
    if len(marginals) == 1:
        raise ValueError(
            "alpha is undefined: every pairable value is identical, so there is no variation to judge agreement against"
        )

    delta2 = _difference_function(level, marginals)
    observed = math.fsum(o * delta2(c, k) for (c, k), o in coincidence.items())
    expected = _expected_pair_sum(level, marginals, n, delta2)
    if expected <= 0.0:
        raise ValueError("alpha is undefined: expected disagreement is zero")
    return 1.0 - (n - 1) * observed / expected


def _mid_ranks(marginals: Counter[Hashable]) -> dict[Hashable, float]:
    # Ordinal delta of Krippendorff (2011, section E) is
    #   (sum_{g=c..k} n_g - (n_c + n_k)/2)^2 = (M_k - M_c)^2  for c < k,
    # where M_v = (count of pairable values below v) + n_v / 2 is v's mid-rank among all
    # pairable values. Ordinal alpha is therefore interval alpha on mid-ranks, which lets
    # it reuse the O(V) expected-disagreement formula instead of an O(V^2) pair loop.
    mid: dict[Hashable, float] = {}
    below = 0
    for v in sorted(marginals):  # type: ignore[type-var]
        mid[v] = below + marginals[v] / 2
        below += marginals[v]
    return mid


def _difference_function(level: str, marginals: Counter[Hashable]) -> _Delta:
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if level == "interval":
        return lambda c, k: (c - k) ** 2  # type: ignore[operator]
    if level == "ratio":
        # c == k covers 0 vs 0; any other pair has c + k > 0 because values are >= 0.
        return lambda c, k: 0.0 if c == k else ((c - k) / (c + k)) ** 2  # type: ignore[operator]
    mid = _mid_ranks(marginals)
    return lambda c, k: (mid[c] - mid[k]) ** 2


def _squared_spread(weighted: Iterable[tuple[float, int]], n: int) -> float:
    # sum_{c<k} n_c n_k (x_c - x_k)^2 = n * sum_c n_c (x_c - mean)^2 (expand the square);
    # centring first keeps precision when values are large and close together.
    pairs = list(weighted)
    mean = math.fsum(x * m for x, m in pairs) / n
    return n * math.fsum(m * (x - mean) ** 2 for x, m in pairs)


def _expected_pair_sum(level: str, marginals: Counter[Hashable], n: int, delta2: _Delta) -> float:
    # Returns sum over unordered pairs c < k of n_c n_k delta2_ck, matching the unordered
    # coincidence dict above.
    if level == "nominal":
        return (n * n - sum(v * v for v in marginals.values())) / 2
    if level == "interval":
        return _squared_spread(marginals.items(), n)  # type: ignore[arg-type]
    if level == "ordinal":
        mid = _mid_ranks(marginals)
        return _squared_spread(((mid[v], m) for v, m in marginals.items()), n)
    # The ratio metric has no such decomposition: O(V^2) over distinct values.
    items = list(marginals.items())
    return math.fsum(n_c * n_k * delta2(c, k) for i, (c, n_c) in enumerate(items) for k, n_k in items[i + 1 :])


def alpha_band(value: float) -> str:
    """Krippendorff's acceptance band for an alpha value.

    Krippendorff (2004, p. 241): rely on variables with alpha >= .800;
    consider variables with .667 <= alpha < .800 only for drawing tentative conclusions;
    below .667 the data are not reliable enough.

    Returns "reliable", "tentative conclusions only" or "unreliable"; raises
    ``ValueError`` for NaN.
    """
    if math.isnan(value):
        raise ValueError("cannot band an alpha of NaN")
    if value >= 0.800:
        return "reliable"
    if value >= 0.667:
        return "tentative conclusions only"
    return "unreliable"


# ---------------------------------------------------------------------------------------
# KR-20 and item analysis of 0/1 matrices
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemStatistic:
    """Classical item statistics for one column of a 0/1 matrix.

    ``index`` is the column position; ``p_value`` the proportion of candidates answering
    correctly (item difficulty); ``item_total`` the corrected item-total correlation
    (point-biserial between the item and the total of the other items), NaN when either
    variance is zero.
    """

    index: int
    p_value: float
    item_total: float


@dataclass(frozen=True)
class TestSummary:
    """Summary of one sitting: size, total-score mean and SD, KR-20 and its SEM.

    ``sd`` is the population SD (divisor n), the same variance KR-20 uses, so that
    ``sem = sd * sqrt(1 - kr20)`` is internally consistent. ``kr20`` and ``sem`` are NaN
    when KR-20 is undefined (fewer than 2 items or no variance in total scores).
    """

    # Not a pytest test class despite the name; stops collection warnings in test modules
    # that import it.
    __test__ = False

    n_candidates: int
    n_items: int
    mean: float
    sd: float
    kr20: float
    sem: float


@dataclass(frozen=True)
class _BinaryMoments:
    n: int  # candidates
    k: int  # items
    item_sums: list[int]  # correct answers per item
    total_sum: int  # sum of total scores
    total_sq_sum: int  # sum of squared total scores
    totals: Sequence[float]  # total score per candidate (int-valued)
    columns: Sequence[Sequence[float]]  # item columns; empty unless asked for


_BINARY = frozenset((0, 1))


def _binary_moments(matrix: Iterable[Sequence[int]], *, keep_columns: bool) -> _BinaryMoments:
    rows = matrix if isinstance(matrix, (list, tuple)) else list(matrix)
    n = len(rows)
    if n == 0:
        raise ValueError("the score matrix has no candidates (rows)")
    k = len(rows[0])
    if k == 0:
        raise ValueError("the score matrix has no items (columns)")
    # Validation and sums are whole-matrix calls that iterate in C (map, chain, zip,
    # set.issuperset); a Python-level loop over 800,000 cells would cost more than all the
    # statistics together. The slow per-row search runs only to word an error message.
    if len(set(map(len, rows))) != 1:
        i = next(i for i, row in enumerate(rows) if len(row) != k)
        raise ValueError(f"ragged score matrix: row {i} has {len(rows[i])} items, row 0 has {k}")
    if not _BINARY.issuperset(chain.from_iterable(rows)):
        i, bad = next((i, x) for i, row in enumerate(rows) for x in row if x not in _BINARY)
        raise ValueError(f"row {i}: item scores must be 0 or 1, got {bad!r}")
    totals = list(map(sum, rows))
    columns = list(zip(*rows, strict=True)) if keep_columns else []
    # Sums of 0/1 values are integer-valued even for bools or 1.0 floats; converting the
    # aggregates to int makes every moment below exact, so zero variances are detected
    # exactly rather than to within rounding.
    item_sums = [int(s) for s in map(sum, columns if keep_columns else zip(*rows, strict=True))]
    return _BinaryMoments(
        n=n,
        k=k,
        item_sums=item_sums,
        total_sum=int(sum(totals)),
        total_sq_sum=int(sum(map(mul, totals, totals))),
        totals=totals,
        columns=columns,
    )


def _kr20_from(m: _BinaryMoments) -> float:
    if m.k < 2:
        raise ValueError(f"KR-20 needs at least 2 items, got {m.k}")
    # n^2 * population variance of totals, and n^2 * sum of item p*q: exact integers.
    var_total_n2 = m.n * m.total_sq_sum - m.total_sum * m.total_sum
    if var_total_n2 == 0:
        raise ValueError("KR-20 is undefined: every candidate has the same total score (zero variance)")
    sum_pq_n2 = sum(s * (m.n - s) for s in m.item_sums)
    return m.k / (m.k - 1) * (1.0 - sum_pq_n2 / var_total_n2)


def kr20(matrix: Iterable[Sequence[int]]) -> float:
    """Kuder-Richardson formula 20 for a candidates x items 0/1 matrix.

    Kuder & Richardson (1937), formula 20::

        KR20 = k / (k - 1) * (1 - sum_j p_j q_j / var(X))

    where k is the number of items, p_j the proportion correct on item j, q_j = 1 - p_j
    and X the total score. ``var(X)`` is the *population* variance (divisor n), because
    p_j q_j is itself the population variance of item j: using the same divisor in the
    numerator and denominator makes the divisor cancel, so KR-20 is exactly Cronbach's
    (1951) alpha on 0/1 data, as in the standard psychometric texts. (Mixing an n - 1 total
    variance with p q item variances biases the coefficient upwards in small groups.)

    Accepts any sequence of equal-length sequences, e.g. a list of tuples from a database
    cursor; values must be 0 or 1 (``True``/``False`` and ``0.0``/``1.0`` are accepted).

    Raises ``ValueError`` for an empty or ragged matrix, values other than 0/1, fewer than
    2 items, and zero variance of total scores (KR-20 is 0/0 there; raising rather than
    returning NaN makes the caller decide how to report a degenerate sitting, see
    ``test_summary``).
    """
    return _kr20_from(_binary_moments(matrix, keep_columns=False))


def item_statistics(matrix: Iterable[Sequence[int]]) -> list[ItemStatistic]:
    """Proportion correct and corrected item-total correlation for every item.

    For item j with scores x and rest score Y = X - x (the total *excluding* the item, so
    the item is not correlated with itself; Henrysson 1963, "Correction of item-total
    correlations in item analysis", Psychometrika 28(2), 211-218), the point-biserial is the
    Pearson correlation::

        r = cov(x, Y) / sqrt(var(x) var(Y))
        cov(x, Y) = cov(x, X) - var(x)
        var(Y)    = var(X) - 2 cov(x, X) + var(x)

    computed from exact integer sums (item sums, totals, and sum of totals over the
    candidates who got item j right) in single passes. ``item_total`` is NaN when the item
    or the rest score has zero variance. ``p_value`` is the proportion correct.

    Raises ``ValueError`` for an empty or ragged matrix or values other than 0/1.
    """
    m = _binary_moments(matrix, keep_columns=True)
    n, total_sum = m.n, m.total_sum
    var_total_n2 = n * m.total_sq_sum - total_sum * total_sum
    result: list[ItemStatistic] = []
    for j, (s, column) in enumerate(zip(m.item_sums, m.columns, strict=True)):
        # sum_i x_ij * X_i: with 0/1 x this is the sum of totals of those correct, which
        # compress() evaluates in C.
        cross = int(sum(compress(m.totals, column)))
        cov_xt_n2 = n * cross - s * total_sum
        var_x_n2 = n * s - s * s
        cov_xy_n2 = cov_xt_n2 - var_x_n2
        var_y_n2 = var_total_n2 - 2 * cov_xt_n2 + var_x_n2
        # Both variances are >= 0, so the product is zero exactly when either one is.
        var_product = var_x_n2 * var_y_n2
        r = cov_xy_n2 / math.sqrt(var_product) if var_product else math.nan
        result.append(ItemStatistic(index=j, p_value=s / n, item_total=r))
    return result


def test_summary(matrix: Iterable[Sequence[int]]) -> TestSummary:
    """Size, mean and SD of total scores, KR-20 and standard error of measurement.

    ``sd`` is the population SD of total scores (the variance KR-20 uses); the classical
    SEM is ``sd * sqrt(1 - kr20)`` (classical test theory; e.g. Crocker & Algina 1986,
    Introduction to Classical and Modern Test Theory). Where KR-20 is undefined (one item,
    or every candidate with the same total) ``kr20`` and ``sem`` are NaN instead of
    raising, so that a summary of a degenerate sitting can still be displayed.

    Raises ``ValueError`` for an empty or ragged matrix or values other than 0/1.
    """
    m = _binary_moments(matrix, keep_columns=False)
    n = m.n
    mean = m.total_sum / n
    var_total_n2 = n * m.total_sq_sum - m.total_sum * m.total_sum
    sd = math.sqrt(var_total_n2) / n
    try:
        reliability = _kr20_from(m)
    except ValueError:
        reliability = math.nan
    # KR-20 <= 1 mathematically; max() only guards against a last-bit rounding excess.
    sem = math.nan if math.isnan(reliability) else sd * math.sqrt(max(0.0, 1.0 - reliability))
    return TestSummary(n_candidates=n, n_items=m.k, mean=mean, sd=sd, kr20=reliability, sem=sem)


# The public name starts with "test_", so any test module that imports it would have pytest
# collect it as a test; pytest honours __test__ = False on functions as well as classes.
test_summary.__test__ = False  # type: ignore[attr-defined]
