"""The psychometric report's figures, each checked against an independent computation or a published value."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from ccsoo_exam.item_analysis import KeyedItem, SittingAnswers, analyse
from ccsoo_exam.psychometrics.decision_consistency import livingston_lewis
from ccsoo_exam.psychometrics.item_statistics import kr20_matrix
from ccsoo_exam.psychometrics.reliability import binomial_csem, icc_interval, subscore_value
from ccsoo_exam.psychometrics.report import psychometric_report

LETTERS = "ABCD"


def simulated(n: int = 400, k: int = 20, seed: int = 1, dif_item: int | None = None):
    """Rasch-like 0/1 responses with letters: the key is A; wrong answers spread over B-D (B attracts the weak)."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 1, n)
    difficulty = np.linspace(-1.5, 1.5, k)
    group = np.where(np.arange(n) % 2 == 0, "majority", "minority")  # equal sizes: the first is the reference
    logit = ability[:, None] - difficulty[None, :]
    if dif_item is not None:
        logit[group == "minority", dif_item] -= 1.5  # the item is harder for the focal group at equal ability
    correct = rng.random((n, k)) < 1 / (1 + np.exp(-logit))
    wrong = np.where(ability[:, None] < 0, "B", rng.choice(list("CD"), (n, k)))
    letters = np.where(correct, "A", wrong)
    letters[rng.random((n, k)) < 0.03] = "-"
    keys = {f"b{1 + j // (k // 2)}/i{j:02d}": KeyedItem(1 + j // (k // 2), "A") for j in range(k)}
    names = list(keys)
    rows = [SittingAnswers(f"s{i:04d}", f"c{i:04d}", k, k // 2, ",".join(names), "".join(letters[i])) for i in range(n)]
    return rows, keys, letters, group


@pytest.fixture(scope="module")
def report_and_data():
    rows, keys, letters, group = simulated(dif_item=3)
    analysis = analyse(rows, keys)
    groups = {f"c{i:04d}": str(g) for i, g in enumerate(group)}
    return psychometric_report(analysis, keys, 12.0, groups), analysis, letters, keys


def test_module_kr20_equals_cronbach_alpha_computed_independently(report_and_data) -> None:
    report, _, letters, _ = report_and_data
    x = (letters == "A").astype(float)
    for module, columns in ((1, slice(0, 10)), (2, slice(10, 20))):
        m = x[:, columns]
        # Cronbach (1951) with sample variances: the divisor cancels, so it equals KR-20.
        alpha = m.shape[1] / (m.shape[1] - 1) * (1 - m.var(axis=0, ddof=1).sum() / m.sum(axis=1).var(ddof=1))
        found = next(r for r in report.modules if r.module == module)
        assert found.kr20 == pytest.approx(alpha)
        assert found.items == 10


def test_option_point_biserials_match_scipy_against_the_rest_score(report_and_data) -> None:
    report, _, letters, keys = report_and_data
    x = (letters == "A").astype(int)
    totals = x.sum(axis=1)
    for j, name in enumerate(list(keys)[:5]):
        rest = totals - x[:, j]
        for letter in ("A", "B", "C", "-"):
            chose = (letters[:, j] == letter).astype(int)
            expected = sps.pointbiserialr(chose, rest).statistic
            assert report.extras[name].option_pbis[letter] == pytest.approx(expected, abs=1e-9)


def test_skewness_kurtosis_median_and_sd_follow_moodle_k_statistics(report_and_data) -> None:
    report, analysis, _, _ = report_and_data
    totals = np.array(analysis.totals, dtype=float)
    d = report.distribution
    assert d.skewness == pytest.approx(sps.skew(totals, bias=False))
    assert d.kurtosis == pytest.approx(sps.kurtosis(totals, bias=False))  # excess (Fisher)
    assert d.median == np.median(totals)
    assert d.sd == pytest.approx(totals.std(ddof=1))
    assert d.error_ratio == pytest.approx(math.sqrt(1 - analysis.summary.kr20))
    assert d.random_guess_score == pytest.approx(20 / 4)


def test_discriminative_efficiency_and_upper_lower_by_brute_force(report_and_data) -> None:
    report, _, letters, keys = report_and_data
    x = (letters == "A").astype(float)
    totals = x.sum(axis=1)
    order = np.argsort(-totals, kind="stable")
    g = round(0.27 * len(totals))
    for j, name in enumerate(keys):
        rest = totals - x[:, j]
        cov = np.cov(x[:, j], rest)[0, 1]
        cov_max = np.cov(np.sort(x[:, j]), np.sort(rest))[0, 1]
        extra = report.extras[name]
        assert extra.discriminative_efficiency == pytest.approx(cov / cov_max)
        assert extra.upper == pytest.approx(x[order[:g], j].mean())
        assert extra.lower == pytest.approx(x[order[-g:], j].mean())
        assert extra.sd == pytest.approx(x[:, j].std(ddof=1))


def test_mantel_haenszel_flags_the_planted_dif_item_only(report_and_data) -> None:
    report, *_ = report_and_data
    by_item = {name: d for name, d in report.dif}
    planted = by_item["b1/i03"]
    assert planted.category in ("B", "C") and planted.delta < -1  # harder for the focal group
    others = [d for name, d in by_item.items() if name != "b1/i03"]
    assert sum(d.category == "C" for d in others) <= 1  # chance alone, at most one of 19


def test_mantel_haenszel_odds_ratio_on_a_hand_computed_table() -> None:
    from ccsoo_exam.psychometrics.dif import _item

    # Two strata: (A, B, C, D) = (30, 10, 20, 20) and (40, 5, 30, 10).
    a, b, c, d = (np.array(v, dtype=float) for v in ((30, 40), (10, 5), (20, 30), (20, 10)))
    result = _item(0, a, b, c, d, "ref", "foc")
    n = a + b + c + d
    odds = ((a * d / n).sum()) / ((b * c / n).sum())
    assert result.odds_ratio == pytest.approx(odds)
    assert result.delta == pytest.approx(-2.35 * math.log(odds))
    # chi-square with continuity correction, by hand
    expected = ((a + b) * (a + c) / n).sum()
    var = ((a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1))).sum()
    assert result.chi2 == pytest.approx((abs(a.sum() - expected) - 0.5) ** 2 / var)


def test_icc_interval_reproduces_the_published_shrout_fleiss_example() -> None:
    # Shrout & Fleiss (1979) Table 2; psych::ICC reports ICC2 0.29 [0.019, 0.76] and ICC2k 0.62 [0.071, 0.93].
    table = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    ci = icc_interval(table)
    assert ci.single == pytest.approx(0.29, abs=0.005)
    assert (ci.single_low, ci.single_high) == pytest.approx((0.019, 0.76), abs=0.005)
    assert ci.average == pytest.approx(0.62, abs=0.005)
    assert (ci.average_low, ci.average_high) == pytest.approx((0.071, 0.93), abs=0.005)


def test_conditional_sem_is_lords_binomial_error() -> None:
    assert binomial_csem(56, 80) == pytest.approx(math.sqrt(56 * 24 / 79))
    assert binomial_csem(0, 80) == 0 and binomial_csem(80, 80) == 0
    assert math.isnan(binomial_csem(1, 1))


def test_livingston_lewis_agrees_with_a_simulated_parallel_form() -> None:
    # True scores from a beta; two independent binomial forms of 60 equally hard items.
    rng = np.random.default_rng(11)
    n, k, cut = 20000, 60, 39
    tau = rng.beta(6, 3, n)
    form1 = rng.random((n, k)) < tau[:, None]
    form2 = rng.random((n, k)) < tau[:, None]
    x1, x2 = form1.sum(axis=1), form2.sum(axis=1)
    quality = livingston_lewis(x1, k, cut, kr20_matrix(form1.astype(np.int8)))
    assert quality is not None
    assert abs(quality.effective_length - k) <= 3  # equally hard items: effective length ~ actual
    assert quality.consistency == pytest.approx(np.mean((x1 >= cut) == (x2 >= cut)), abs=0.015)
    assert quality.accuracy == pytest.approx(np.mean((x1 >= cut) == (tau >= cut / k)), abs=0.015)


def test_subscores_without_added_value_are_not_reportable() -> None:
    # Two modules measuring the same thing: the total predicts each true subscore better than it does itself.
    rng = np.random.default_rng(3)
    ability = rng.normal(0, 1, 3000)
    m = (rng.random((3000, 20)) < 1 / (1 + np.exp(-(ability[:, None] - rng.normal(0, 1, 20))))).astype(int)
    sub = m[:, :10].sum(axis=1)
    value = subscore_value(sub, m.sum(axis=1), kr20_matrix(m[:, :10]))
    assert value is not None and not value.added_value and value.prmse_total > value.prmse_subscore


def test_small_samples_are_flagged() -> None:
    rows, keys, _, _ = simulated(n=12)
    report = psychometric_report(analyse(rows, keys), keys, 12.0)
    assert any("only 12 candidates" in w for w in report.warnings)
    assert len(report.small_sample_items) == 20


def test_dropped_item_leaves_the_scored_count_and_kr20_of_the_rest() -> None:
    rows, keys, letters, _ = simulated()
    dropped = next(iter(keys))
    analysis = analyse(rows, keys, {dropped: ""})
    assert analysis.summary.n_items == 19
    x = (letters == "A").astype(np.int8)[:, 1:]
    assert analysis.summary.kr20 == pytest.approx(kr20_matrix(x))
