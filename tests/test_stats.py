"""Tests for ccsoo_exam.stats against published datasets and independent implementations.

The reference implementations here are deliberately naive (exact Fractions, explicit loops
over all ordered pairs, the statistics module) so that they share no code or shortcut with
the module under test.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ccsoo_exam import stats
from ccsoo_exam.stats import (
    ALPHA_LEVELS,
    ICC_FORMS,
    alpha_band,
    icc,
    icc_band,
    item_statistics,
    kr20,
    krippendorff_alpha,
    test_summary,
)

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------
# Reference implementations
# ---------------------------------------------------------------------------------------


def reference_mean_squares(ratings: list[list[int]]) -> dict[str, Fraction]:
    """Two-way ANOVA mean squares in exact arithmetic via the textbook computational
    formulas (sum of squares minus correction term), unlike the deviation form in stats."""
    n, k = len(ratings), len(ratings[0])
    big_n = n * k
    grand_total = sum(sum(row) for row in ratings)
    correction = Fraction(grand_total * grand_total, big_n)
    ss_total = sum(x * x for row in ratings for x in row) - correction
    ss_rows = sum(Fraction(sum(row) ** 2, k) for row in ratings) - correction
    ss_cols = sum(Fraction(sum(col) ** 2, n) for col in zip(*ratings, strict=True)) - correction
    ss_within = ss_total - ss_rows
    ss_error = ss_within - ss_cols
    return {
        "BMS": ss_rows / (n - 1),
        "WMS": ss_within / (n * (k - 1)),
        "JMS": ss_cols / (k - 1),
        "EMS": ss_error / ((n - 1) * (k - 1)),
    }


def reference_icc_parts(ratings: list[list[int]], form: str) -> tuple[Fraction, Fraction]:
    """Numerator and denominator of the Shrout & Fleiss (1979) equations, exactly."""
    ms = reference_mean_squares(ratings)
    n, k = len(ratings), len(ratings[0])
    bms, wms, jms, ems = ms["BMS"], ms["WMS"], ms["JMS"], ms["EMS"]
    return {
        "1,1": (bms - wms, bms + (k - 1) * wms),
        "A,1": (bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        "C,1": (bms - ems, bms + (k - 1) * ems),
        "1,k": (bms - wms, bms),
        "A,k": (bms - ems, bms + (jms - ems) / n),
        "C,k": (bms - ems, bms),
    }[form]


def reference_icc(ratings: list[list[int]], form: str) -> Fraction:
    numerator, denominator = reference_icc_parts(ratings, form)
    return numerator / denominator


def reference_alpha(data: list[list[object]], level: str) -> tuple[float, dict[object, float]]:
    """Krippendorff (2011) literally: full coincidence matrix from every ordered pair of
    values in a unit, full delta matrix, O(V^2) double sums. Returns (alpha, n_c)."""
    units = [[v for v in col if v is not None] for col in zip(*data, strict=True)]
    units = [u for u in units if len(u) >= 2]
    values = sorted({v for u in units for v in u})
    o = {(c, k): 0.0 for c in values for k in values}
    for u in units:
        m = len(u)
        for i in range(m):
            for j in range(m):
                if i != j:
                    o[(u[i], u[j])] += 1 / (m - 1)
    n_c = {c: sum(o[(c, k)] for k in values) for c in values}
    n = sum(n_c.values())

    def delta2(c: float, k: float) -> float:
        if level == "nominal":
            return 0.0 if c == k else 1.0
        if level == "interval":
            return (c - k) ** 2
        if level == "ratio":
            return 0.0 if c == k else ((c - k) / (c + k)) ** 2
        lo, hi = min(c, k), max(c, k)
        return (sum(n_c[g] for g in values if lo <= g <= hi) - (n_c[c] + n_c[k]) / 2) ** 2

    d_o = sum(o[(c, k)] * delta2(c, k) for c in values for k in values) / n
    d_e = sum(n_c[c] * n_c[k] * delta2(c, k) for c in values for k in values) / (n * (n - 1))
    return 1 - d_o / d_e, n_c


def cronbach_alpha(matrix: list[list[int]]) -> float:
    """Cronbach (1951) alpha with sample (n-1) variances throughout, via statistics."""
    k = len(matrix[0])
    item_vars = [statistics.variance(col) for col in zip(*matrix, strict=True)]
    total_var = statistics.variance([sum(row) for row in matrix])
    return k / (k - 1) * (1 - sum(item_vars) / total_var)


def random_binary(n: int, k: int, seed: int) -> list[list[int]]:
    """0/1 data with a real common factor, so reliability is well away from zero."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        ability = rng.gauss(0, 1)
        rows.append([1 if rng.random() < 1 / (1 + math.exp(-(ability - b))) else 0 for b in range(-2, k - 2)])
    return rows


# ---------------------------------------------------------------------------------------
# ICC: Shrout & Fleiss (1979)
# ---------------------------------------------------------------------------------------

# Shrout, P. E., & Fleiss, J. L. (1979). Psychological Bulletin 86(2), 420-428.
# Table 2: four judges' ratings of six targets.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
# The estimates published with that example, to the two decimals printed: ICC(1,1),
# ICC(2,1), ICC(3,1), ICC(1,4), ICC(2,4), ICC(3,4).
SHROUT_FLEISS_PUBLISHED = {
    "1,1": 0.17,
    "A,1": 0.29,
    "C,1": 0.71,
    "1,k": 0.44,
    "A,k": 0.62,
    "C,k": 0.91,
}
# Exact rational values from reference_icc (checked: they round to the published ones).
SHROUT_FLEISS_4DP = {
    "1,1": 0.1657,
    "A,1": 0.2898,
    "C,1": 0.7148,
    "1,k": 0.4428,
    "A,k": 0.6201,
    "C,k": 0.9093,
}


def test_reference_anova_matches_shrout_fleiss() -> None:
    # The ANOVA Shrout & Fleiss (1979) publish for the example: BMS 11.24, WMS 6.26,
    # JMS 32.49, EMS 1.02. This validates the reference implementation itself before it
    # is used as an oracle.
    ms = reference_mean_squares(SHROUT_FLEISS)
    assert round(float(ms["BMS"]), 2) == 11.24
    assert round(float(ms["WMS"]), 2) == 6.26
    assert round(float(ms["JMS"]), 2) == 32.49
    assert round(float(ms["EMS"]), 2) == 1.02


@pytest.mark.parametrize("form", ICC_FORMS)
def test_icc_matches_shrout_fleiss_published(form: str) -> None:
    value = icc(SHROUT_FLEISS, form)
    assert round(value, 2) == SHROUT_FLEISS_PUBLISHED[form]
    assert round(value, 4) == SHROUT_FLEISS_4DP[form]
    assert value == pytest.approx(float(reference_icc(SHROUT_FLEISS, form)), abs=1e-12)


def test_icc_accepts_tuples_and_floats() -> None:
    as_tuples = [tuple(float(x) for x in row) for row in SHROUT_FLEISS]
    assert icc(as_tuples, "A,1") == pytest.approx(icc(SHROUT_FLEISS, "A,1"), abs=1e-15)


@pytest.mark.parametrize(
    ("ratings", "form", "message"),
    [
        ([[1, 2]], "1,1", "at least 2 candidates"),
        ([], "1,1", "at least 2 candidates"),
        ([[1], [2]], "1,1", "at least 2 panelists"),
        ([[1, 2], [3]], "1,1", "row 1 has 1 scores"),
        ([[1, 2], [3, math.nan]], "1,1", "NaN"),
        ([[1, 2], [3, math.inf]], "1,1", "infinite"),
        ([[1, 2], [3, "4"]], "1,1", "expected a number"),
        ([[1, 2], [3, None]], "1,1", "expected a number"),
        ([[5, 5], [5, 5]], "A,1", "identical"),
        # Equal row means: BMS = 0, so ICC(1,k) = (0 - WMS) / 0.
        ([[1, 3], [3, 1]], "1,k", "undefined"),
        ([[1, 2], [3, 4]], "2,1", "unknown ICC form"),
    ],
)
def test_icc_errors(ratings: list[list[object]], form: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        icc(ratings, form)  # type: ignore[arg-type]


def test_icc_perfect_agreement_is_one() -> None:
    ratings = [[1, 1, 1], [4, 4, 4], [2, 2, 2]]
    for form in ICC_FORMS:
        assert icc(ratings, form) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (-0.2, "poor"),
        (0.49, "poor"),
        (0.5, "moderate"),
        (0.74, "moderate"),
        (0.75, "good"),
        (0.9, "good"),
        (0.91, "excellent"),
        (1.0, "excellent"),
    ],
)
def test_icc_band(value: float, band: str) -> None:
    assert icc_band(value) == band


# ---------------------------------------------------------------------------------------
# Krippendorff's alpha: Krippendorff (2011)
# ---------------------------------------------------------------------------------------

_ = None
# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Section C, "Nominal
# data, any number of observers, missing data": 4 observers x 12 units.
KRIPPENDORFF_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
# Published in the same paper (sections C and E) for these data.
KRIPPENDORFF_C_PUBLISHED = {
    "nominal": 0.743,
    "ordinal": 0.815,
    "interval": 0.849,
    "ratio": 0.797,
}
KRIPPENDORFF_C_4DP = {
    "nominal": 0.7434,
    "ordinal": 0.8154,
    "interval": 0.8491,
    "ratio": 0.7974,
}


@pytest.mark.parametrize("level", ALPHA_LEVELS)
def test_alpha_matches_krippendorff_2011(level: str) -> None:
    value = krippendorff_alpha(KRIPPENDORFF_C, level)
    assert round(value, 3) == KRIPPENDORFF_C_PUBLISHED[level]
    assert round(value, 4) == KRIPPENDORFF_C_4DP[level]
    expected, _marginals = reference_alpha(KRIPPENDORFF_C, level)
    assert value == pytest.approx(expected, abs=1e-12)


def test_reference_alpha_marginals_match_hand_count() -> None:
    # Unit 12 holds a single value, so it is unpairable and drops out; counting the values
    # of units 1-11 by hand gives n_1..n_5 = 9, 13, 10, 5, 3 and n = 40:
    #   1s: unit 1 (3) + unit 6 (1) + unit 8 (3) + unit 11 (2) = 9
    #   2s: unit 2 (3) + unit 5 (4) + unit 6 (1) + unit 8 (1) + unit 9 (4) = 13
    #   3s: unit 2 (1) + unit 3 (4) + unit 4 (4) + unit 6 (1) = 10
    #   4s: unit 6 (1) + unit 7 (4) = 5;  5s: unit 10 (3) = 3
    _alpha, n_c = reference_alpha(KRIPPENDORFF_C, "nominal")
    assert [round(n_c[c], 9) for c in (1, 2, 3, 4, 5)] == [9, 13, 10, 5, 3]


def test_alpha_binary_two_observers_krippendorff_2011_section_a() -> None:
    # Section A: two observers, ten units, binary data; published alpha = 0.095
    # (= 1 - 19 * 4 / (14 * 6) = 8/84).
    data = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    value = krippendorff_alpha(data, "nominal")
    assert round(value, 3) == 0.095
    assert value == pytest.approx(8 / 84, abs=1e-12)


def test_alpha_nominal_letters_krippendorff_2011_section_b() -> None:
    # Section B: two observers, twelve units, nominal categories a-e; published 0.692.
    data = [
        ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"],
        ["b", "a", "b", "b", "b", "c", "c", "c", "e", "d", "d", "d"],
    ]
    assert round(krippendorff_alpha(data, "nominal"), 3) == 0.692


@pytest.mark.parametrize(
    ("data", "level", "message"),
    [
        ([], "nominal", "at least one rater"),
        ([[1, 2, 3]], "nominal", "no unit has 2"),
        ([[1, None], [None, 2]], "interval", "no unit has 2"),
        ([[1, 2], [1]], "nominal", "row 1 has 1"),
        ([[3, 3, 3], [3, 3, None]], "interval", "identical"),
        ([[1, 2], [1, math.nan]], "interval", "NaN"),
        ([[1, 2], [1, math.nan]], "nominal", "NaN"),
        ([[1, 2], [1, math.inf]], "ratio", "infinite"),
        ([[1, 2], [1, "x"]], "ordinal", "must be numbers"),
        ([[1, 2], [1, -2]], "ratio", "non-negative"),
        ([[1, 2], [1, 2]], "metric", "unknown alpha level"),
    ],
)
def test_alpha_errors(data: list[list[object]], level: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        krippendorff_alpha(data, level)  # type: ignore[arg-type]


def test_alpha_perfect_agreement_is_one() -> None:
    data = [[1, 2, 3, 4, None], [1, 2, 3, 4, 5], [None, 2, 3, 4, 5]]
    for level in ALPHA_LEVELS:
        assert krippendorff_alpha(data, level) == pytest.approx(1.0)


def test_alpha_interval_handles_many_distinct_float_values() -> None:
    rng = random.Random(7)
    # 80 units x 3 raters = 240 distinct values; the reference's ordinal delta is O(V^3).
    truth = [rng.uniform(0, 100) for _ in range(80)]
    # abs() keeps every value admissible for the ratio metric.
    data = [[abs(t + rng.gauss(0, 5)) for t in truth] for _ in range(3)]
    for level in ("interval", "ratio", "ordinal"):
        expected, _marginals = reference_alpha(data, level)
        assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.95, "reliable"),
        (0.800, "reliable"),
        (0.7999, "tentative conclusions only"),
        (0.667, "tentative conclusions only"),
        (0.6669, "unreliable"),
        (-0.1, "unreliable"),
    ],
)
def test_alpha_band(value: float, band: str) -> None:
    assert alpha_band(value) == band


@pytest.mark.parametrize("band", [icc_band, alpha_band])
def test_bands_reject_nan(band: object) -> None:
    with pytest.raises(ValueError, match="NaN"):
        band(math.nan)  # type: ignore[operator]


# ---------------------------------------------------------------------------------------
# KR-20 and item statistics
# ---------------------------------------------------------------------------------------

# Hand-worked example: 6 candidates x 4 items.
#   item sums 4, 4, 3, 2  ->  p = 2/3, 2/3, 1/2, 1/3
#   p*q = 2/9, 2/9, 1/4, 2/9  ->  sum pq = 2/3 + 1/4 = 11/12
#   totals 3, 3, 2, 1, 4, 0: mean 13/6, sum of squares 39,
#   population variance = 39/6 - (13/6)^2 = 234/36 - 169/36 = 65/36
#   KR-20 = 4/3 * (1 - (11/12) / (65/36)) = 4/3 * (1 - 33/65) = 4/3 * 32/65 = 128/195
#         = 0.656410...
WORKED = [
    [1, 1, 1, 0],
    [1, 1, 0, 1],
    [1, 0, 1, 0],
    [0, 1, 0, 0],
    [1, 1, 1, 1],
    [0, 0, 0, 0],
]
WORKED_KR20 = Fraction(128, 195)


def test_kr20_hand_worked_example() -> None:
    assert kr20(WORKED) == pytest.approx(float(WORKED_KR20), abs=1e-15)


def test_test_summary_hand_worked_example() -> None:
    summary = test_summary(WORKED)
    assert (summary.n_candidates, summary.n_items) == (6, 4)
    assert summary.mean == pytest.approx(13 / 6)
    assert summary.sd == pytest.approx(math.sqrt(65) / 6)  # sqrt(65/36), see above
    assert summary.kr20 == pytest.approx(float(WORKED_KR20))
    assert summary.sem == pytest.approx(math.sqrt(65) / 6 * math.sqrt(1 - 128 / 195))


def test_item_statistics_hand_worked_example() -> None:
    result = item_statistics(WORKED)
    assert [s.index for s in result] == [0, 1, 2, 3]
    assert [s.p_value for s in result] == pytest.approx([2 / 3, 2 / 3, 1 / 2, 1 / 3])
    # Item 0 vs rest score (totals minus item): x = 1,1,1,0,1,0; rest = 2,2,1,1,3,0.
    assert result[0].item_total == pytest.approx(statistics.correlation([1, 1, 1, 0, 1, 0], [2, 2, 1, 1, 3, 0]))


def test_guttman_data_more_reliable_than_random() -> None:
    k = 10
    # Perfect Guttman scalogram: candidate i answers exactly the i easiest items.
    guttman = [[1 if j < i else 0 for j in range(k)] for i in range(k + 1)] * 20
    rng = random.Random(3)
    noise = [[rng.randint(0, 1) for _ in range(k)] for _ in range(len(guttman))]
    assert kr20(guttman) > 0.9
    assert kr20(guttman) > kr20(noise) + 0.5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kr20_equals_cronbach_alpha_on_binary_data(seed: int) -> None:
    matrix = random_binary(200, 12, seed)
    assert kr20(matrix) == pytest.approx(cronbach_alpha(matrix), abs=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_corrected_item_total_matches_direct_pearson(seed: int) -> None:
    matrix = random_binary(150, 8, seed)
    totals = [sum(row) for row in matrix]
    for j, item in enumerate(item_statistics(matrix)):
        column = [row[j] for row in matrix]
        rest = [t - x for t, x in zip(totals, column, strict=True)]
        assert item.p_value == pytest.approx(sum(column) / len(column))
        try:
            expected = statistics.correlation(column, rest)
        except statistics.StatisticsError:  # a constant input: correlation undefined
            assert math.isnan(item.item_total)
        else:
            assert item.item_total == pytest.approx(expected, abs=1e-12)


def test_item_total_nan_for_zero_variance() -> None:
    # Item 0 is answered by everyone (zero item variance); for item 2 the other two items
    # always sum to the same value (zero rest-score variance).
    matrix = [[1, 1, 0], [1, 0, 1], [1, 1, 0], [1, 0, 1]]
    result = item_statistics(matrix)
    assert math.isnan(result[0].item_total)
    assert result[0].p_value == 1.0
    assert not math.isnan(result[1].item_total)
    constant_rest = [[1, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 1]]
    assert math.isnan(item_statistics(constant_rest)[2].item_total)


def test_binary_inputs_in_several_shapes() -> None:
    expected = kr20(WORKED)
    assert kr20([tuple(row) for row in WORKED]) == expected  # sqlite-style rows
    assert kr20([[bool(x) for x in row] for row in WORKED]) == expected
    assert kr20([[float(x) for x in row] for row in WORKED]) == expected
    assert kr20(iter(WORKED)) == expected
    assert item_statistics(iter(WORKED)) == item_statistics(WORKED)


@pytest.mark.parametrize("function", [kr20, item_statistics, test_summary])
@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([], "no candidates"),
        ([[]], "no items"),
        ([[1, 0], [1]], "row 1 has 1 items"),
        ([[1, 0], [1, 2]], "row 1: item scores must be 0 or 1, got 2"),
        ([[1, 0], [1, 0.5]], "must be 0 or 1"),
        ([[1, 0], [1, math.nan]], "must be 0 or 1"),
        ([[1, 0], [1, "1"]], "must be 0 or 1"),
    ],
)
def test_binary_input_errors(function: object, matrix: list[list[object]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        function(matrix)  # type: ignore[operator]


def test_kr20_undefined_cases_raise_but_summary_reports_nan() -> None:
    same_totals = [[1, 0], [0, 1], [1, 0]]
    with pytest.raises(ValueError, match="zero variance"):
        kr20(same_totals)
    with pytest.raises(ValueError, match="at least 2 items"):
        kr20([[1], [0]])
    summary = test_summary(same_totals)
    assert summary.sd == 0.0
    assert math.isnan(summary.kr20)
    assert math.isnan(summary.sem)


def test_summary_names_are_not_collected_by_pytest() -> None:
    # test_summary and TestSummary are imported into this module; without __test__ = False
    # pytest would try to run them as a test function / class.
    assert stats.TestSummary.__test__ is False
    assert test_summary.__test__ is False  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------
# Property-based tests
# ---------------------------------------------------------------------------------------

scores = st.integers(min_value=0, max_value=10)


@st.composite
def rating_tables(draw: st.DrawFn) -> list[list[int]]:
    n = draw(st.integers(min_value=2, max_value=8))
    k = draw(st.integers(min_value=2, max_value=5))
    return draw(st.lists(st.lists(scores, min_size=k, max_size=k), min_size=n, max_size=n))


@st.composite
def reliability_data(draw: st.DrawFn) -> list[list[int | None]]:
    raters = draw(st.integers(min_value=2, max_value=5))
    units = draw(st.integers(min_value=1, max_value=10))
    cell = st.one_of(st.none(), st.integers(min_value=0, max_value=6))
    return draw(st.lists(st.lists(cell, min_size=units, max_size=units), min_size=raters, max_size=raters))


def outcome(function: object, *args: object) -> float | None:
    """The function's value, or None if it raised ValueError (any other error propagates)."""
    try:
        return function(*args)  # type: ignore[operator]
    except ValueError:
        return None


def same_outcome(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@given(rating_tables(), st.sampled_from(ICC_FORMS), st.randoms(use_true_random=False))
def test_icc_invariant_to_candidate_order(table: list[list[int]], form: str, rnd: random.Random) -> None:
    shuffled = table[:]
    rnd.shuffle(shuffled)
    assert same_outcome(outcome(icc, table, form), outcome(icc, shuffled, form))


@given(rating_tables(), st.sampled_from(ICC_FORMS))
def test_icc_agrees_with_exact_reference(table: list[list[int]], form: str) -> None:
    got = outcome(icc, table, form)
    numerator, denominator = reference_icc_parts(table, form)
    if denominator <= 0:
        # Zero, or negative (ICC(A,k) on tiny tables, e.g. [[0, 1], [1, 0]], where the
        # formula would give 2.0): the coefficient is meaningless and must be refused.
        assert got is None
    else:
        assert got == pytest.approx(float(numerator / denominator), rel=1e-9, abs=1e-9)


def test_icc_negative_denominator_is_refused() -> None:
    # n = k = 2: BMS = JMS = 0, EMS = 1, so ICC(A,k) = -1 / (0 + (0 - 1) / 2) = 2.0.
    with pytest.raises(ValueError, match="undefined"):
        icc([[0, 1], [1, 0]], "A,k")


@given(
    rating_tables(),
    st.sampled_from(["C,1", "C,k"]),
    st.integers(min_value=-20, max_value=20),
    st.data(),
)
def test_icc_consistency_invariant_to_shifting_one_rater(
    table: list[list[int]], form: str, shift: int, data: st.DataObject
) -> None:
    rater = data.draw(st.integers(min_value=0, max_value=len(table[0]) - 1))
    shifted = [[x + shift if j == rater else x for j, x in enumerate(row)] for row in table]
    assert same_outcome(outcome(icc, table, form), outcome(icc, shifted, form))


@given(reliability_data(), st.sampled_from(ALPHA_LEVELS), st.randoms(use_true_random=False))
def test_alpha_invariant_to_candidate_order(data: list[list[int | None]], level: str, rnd: random.Random) -> None:
    order = list(range(len(data[0])))
    rnd.shuffle(order)
    permuted = [[row[u] for u in order] for row in data]
    assert same_outcome(outcome(krippendorff_alpha, data, level), outcome(krippendorff_alpha, permuted, level))


@given(reliability_data(), st.integers(min_value=-100, max_value=100))
def test_alpha_interval_invariant_to_adding_a_constant(data: list[list[int | None]], shift: int) -> None:
    shifted = [[None if v is None else v + shift for v in row] for row in data]
    assert same_outcome(
        outcome(krippendorff_alpha, data, "interval"),
        outcome(krippendorff_alpha, shifted, "interval"),
    )


@given(reliability_data(), st.sampled_from(ALPHA_LEVELS))
def test_alpha_agrees_with_reference(data: list[list[int | None]], level: str) -> None:
    got = outcome(krippendorff_alpha, data, level)
    assume(got is not None)
    expected, _marginals = reference_alpha(data, level)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


@st.composite
def binary_matrices(draw: st.DrawFn) -> list[list[int]]:
    n = draw(st.integers(min_value=2, max_value=30))
    k = draw(st.integers(min_value=2, max_value=8))
    bit = st.integers(min_value=0, max_value=1)
    return draw(st.lists(st.lists(bit, min_size=k, max_size=k), min_size=n, max_size=n))


@given(binary_matrices())
def test_kr20_equals_cronbach_alpha_property(matrix: list[list[int]]) -> None:
    got = outcome(kr20, matrix)
    if got is None:
        assert statistics.pvariance([sum(row) for row in matrix]) == 0
    else:
        assert got == pytest.approx(cronbach_alpha(matrix), rel=1e-9, abs=1e-9)


@given(binary_matrices())
def test_item_total_matches_pearson_property(matrix: list[list[int]]) -> None:
    totals = [sum(row) for row in matrix]
    for j, item in enumerate(item_statistics(matrix)):
        column = [row[j] for row in matrix]
        rest = [t - x for t, x in zip(totals, column, strict=True)]
        try:
            expected = statistics.correlation(column, rest)
        except statistics.StatisticsError:  # a constant input: correlation undefined
            assert math.isnan(item.item_total)
        else:
            assert item.item_total == pytest.approx(expected, abs=1e-9)


# Anything a caller might plausibly pass: numbers, specials, missing markers, junk, with
# ragged and tiny shapes. Every function must either return or raise ValueError.
junk_cell = st.one_of(
    st.integers(min_value=-3, max_value=3),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.none(),
    st.booleans(),
    st.sampled_from(["", "1", "a", b"0"]),
)
junk_table = st.lists(st.lists(junk_cell, max_size=4), max_size=4)
safe_settings = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])


@safe_settings
@given(junk_table, st.sampled_from([*ICC_FORMS, "2,1", ""]))
def test_icc_only_raises_value_error(table: list[list[object]], form: str) -> None:
    value = outcome(icc, table, form)
    assert value is None or isinstance(value, float)


@safe_settings
@given(junk_table, st.sampled_from([*ALPHA_LEVELS, "metric"]))
def test_alpha_only_raises_value_error(table: list[list[object]], level: str) -> None:
    value = outcome(krippendorff_alpha, table, level)
    assert value is None or (isinstance(value, float) and not math.isnan(value))


@safe_settings
@given(junk_table)
def test_binary_functions_only_raise_value_error(table: list[list[object]]) -> None:
    for function in (kr20, item_statistics, test_summary):
        outcome(function, table)


@safe_settings
@given(rating_tables(), st.sampled_from(ICC_FORMS))
def test_icc_degenerate_tables_raise_value_error(table: list[list[int]], form: str) -> None:
    # Collapse the table to few distinct values to hit zero variances often.
    collapsed = [[x % 2 for x in row] for row in table]
    value = outcome(icc, collapsed, form)
    assert value is None or math.isfinite(value)


@safe_settings
@given(binary_matrices())
def test_binary_results_are_finite_or_nan_by_contract(matrix: list[list[int]]) -> None:
    summary = test_summary(matrix)
    assert math.isfinite(summary.mean) and math.isfinite(summary.sd)
    assert math.isnan(summary.kr20) or summary.kr20 <= 1 + 1e-12
    assert math.isnan(summary.sem) or summary.sem >= 0
    for item in item_statistics(matrix):
        assert 0 <= item.p_value <= 1
        assert math.isnan(item.item_total) or -1 - 1e-12 <= item.item_total <= 1 + 1e-12


# ---------------------------------------------------------------------------------------
# Layering
# ---------------------------------------------------------------------------------------


def test_stats_module_imports_no_ui_or_storage() -> None:
    code = (
        "import ccsoo_exam.stats, sys; "
        "bad = {'textual', 'sqlite3', '_sqlite3', 'numpy'} & set(sys.modules); "
        "assert not bad, bad"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
