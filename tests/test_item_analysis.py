"""Item analysis: option shares, flags on a designed dataset, agreement with ccsoo_exam.stats."""

from __future__ import annotations

import math

import pytest

from ccsoo_exam.errors import CcsooError
from ccsoo_exam.item_analysis import KeyedItem, SittingAnswers, analyse, flags, histogram
from ccsoo_exam.stats import item_statistics, test_summary

KEYS = {
    "b/easy": KeyedItem(1, "A"),
    "b/miskey": KeyedItem(1, "B"),
    "b/good": KeyedItem(2, "C"),
    "b/fair": KeyedItem(2, "D"),
    "b/bad": KeyedItem(2, "A"),
}
ITEMS = "b/easy,b/miskey,b/good,b/fair,b/bad"
# Ten candidates, strongest first. "easy": everyone right. "miskey": nobody picks the key B,
# most pick C. "good" and "fair" track ability. "bad": only the weakest get it right.
ANSWERS = [
    "ACCDB",
    "ACCDB",
    "ACCDB",
    "ADCDB",
    "ACCAB",
    "ACCBB",
    "ACBAC",
    "ACA-B",
    "ADBBA",
    "ACDCA",
]


def rows(answers: list[str] = ANSWERS, items: str = ITEMS) -> list[SittingAnswers]:
    return [SittingAnswers(f"s{n:02d}", f"C-{n}", 5, 3, items, a) for n, a in enumerate(answers)]


def by_item(analysis) -> dict:
    return {r.item: r for r in analysis.items}


def test_option_shares_count_authored_letters_and_omits() -> None:
    result = by_item(analyse(rows(), KEYS))
    assert result["b/miskey"].shares == {"A": 0.0, "B": 0.0, "C": 0.8, "D": 0.2, "-": 0.0}
    assert result["b/fair"].shares == pytest.approx({"A": 0.2, "B": 0.2, "C": 0.1, "D": 0.4, "-": 0.1})
    assert all(math.isclose(sum(r.shares.values()), 1.0) for r in result.values())


def test_flags_for_the_designed_items() -> None:
    result = by_item(analyse(rows(), KEYS))
    assert result["b/easy"].flags == (
        "easy: p 1.00 above 0.95",
        "discrimination undefined: every candidate scored the same on it",
        "distractor B chosen by nobody",
        "distractor C chosen by nobody",
        "distractor D chosen by nobody",
    )
    miskey = result["b/miskey"].flags
    assert miskey[0] == "hard: p 0.00 below 0.20" and "distractor C chosen more than the key" in miskey
    assert "distractor A chosen by nobody" in miskey
    assert any(f.startswith("negative discrimination") for f in result["b/bad"].flags)
    assert result["b/good"].flags == ("low discrimination (0.17)",)
    assert result["b/fair"].flags == ()


def test_fixed_form_figures_are_exactly_those_of_stats() -> None:
    analysis = analyse(rows(), KEYS)
    matrix = [
        [int(a == KEYS[name].key) for name, a in zip(ITEMS.split(","), answers, strict=True)] for answers in ANSWERS
    ]
    expected = item_statistics(matrix)
    result = by_item(analysis)
    for name, stat in zip(ITEMS.split(","), expected, strict=True):
        assert result[name].p_value == stat.p_value
        assert (math.isnan(result[name].item_total) and math.isnan(stat.item_total)) or (
            result[name].item_total == stat.item_total
        )
    assert analysis.summary == test_summary(matrix)
    assert analysis.basis == "fixed form"
    assert analysis.totals == tuple(sum(r) for r in matrix)


def test_items_in_another_order_are_matched_by_identity() -> None:
    order = [4, 2, 0, 3, 1]
    names = ITEMS.split(",")
    shuffled = [
        SittingAnswers(
            r.sitting_id,
            r.candidate_id,
            5,
            3,
            ",".join(names[i] for i in order),
            "".join(r.answers[i] for i in order),
        )
        for r in rows()
    ]
    assert {r.item: (r.p_value, r.shares) for r in analyse(shuffled, KEYS).items} == {
        r.item: (r.p_value, r.shares) for r in analyse(rows(), KEYS).items
    }


def test_randomly_drawn_forms_use_the_candidates_given_each_item() -> None:
    keys = {**KEYS, "b/extra": KeyedItem(1, "B")}
    forms = rows(ANSWERS[:6]) + rows(["BCDDA", "BDCAB", "BACD-", "BCCDD"], "b/extra,b/miskey,b/good,b/fair,b/bad")
    analysis = analyse(forms, keys)
    assert analysis.basis == "randomly drawn forms"
    result = by_item(analysis)
    assert result["b/easy"].n == 6 and result["b/extra"].n == 4 and result["b/good"].n == 10
    assert result["b/extra"].p_value == 1.0
    # The corrected item-total correlation by brute force: item score vs total without it.
    scored = [[int(a in keys[n].key) for n, a in zip(r.items.split(","), r.answers, strict=True)] for r in forms]
    names = [r.items.split(",") for r in forms]
    x = [row[n.index("b/good")] for row, n in zip(scored, names, strict=True)]
    rest = [sum(row) - xi for row, xi in zip(scored, x, strict=True)]
    mx, my = sum(x) / len(x), sum(rest) / len(rest)
    cov = sum((a - mx) * (b - my) for a, b in zip(x, rest, strict=True))
    r = cov / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in rest))
    assert result["b/good"].item_total == pytest.approx(r)
    assert analysis.summary == test_summary(scored)


def test_accepted_keys_and_dropped_items() -> None:
    result = by_item(analyse(rows(), KEYS, {"b/miskey": "BC", "b/bad": ""}))
    assert result["b/miskey"].p_value == 0.8 and result["b/miskey"].key == "BC"
    assert result["b/bad"].flags == ("dropped after a key challenge (not scored)",)


def test_unknown_items_and_no_sittings_are_user_errors() -> None:
    with pytest.raises(CcsooError, match="item b/easy is not in the exam package"):
        analyse(rows(), {"b/other": KeyedItem(1, "A")})
    with pytest.raises(CcsooError, match="no submitted sittings"):
        analyse([], KEYS)


def test_low_discrimination_flag_and_histogram() -> None:
    assert flags(0.5, 0.1, {"A": 0.5, "B": 0.2, "C": 0.2, "D": 0.1}, "A") == ("low discrimination (0.10)",)
    assert histogram([0, 1, 5, 5, 8], 8, bins=3) == [(0, 2, 2), (3, 5, 2), (6, 8, 1)]
