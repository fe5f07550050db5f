"""The psychometric report of ``admin items``: everything beyond p, r_it and KR-20, in one frozen value.

``psychometric_report(analysis, keys, cut, groups)`` takes an ``item_analysis.ItemAnalysis``
(which carries its scored responses) and adds: Moodle's statistics per item and for the test
(item_statistics.py), KR-20 per module and subscore reportability, Lord's conditional SEM at
the cut, Livingston-Lewis decision consistency and accuracy, Mantel-Haenszel DIF between roster
groups, and small-sample warnings (item statistics from fewer than 30 candidates).

The cut: the mean of the sittings' form cuts under an adopted standard, else the definition's
cut_score scaled to the scored items (a dropped item takes its share of the cut with it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ccsoo_exam.item_analysis import ItemAnalysis, KeyedItem
from ccsoo_exam.psychometrics.decision_consistency import DecisionQuality, livingston_lewis
from ccsoo_exam.psychometrics.dif import MIN_GROUP, DifResult, mantel_haenszel
from ccsoo_exam.psychometrics.item_statistics import (
    Distribution,
    ItemExtra,
    ModuleReliability,
    distribution,
    flatten,
    item_extras,
    module_reliability,
)
from ccsoo_exam.psychometrics.reliability import MIN_ITEM_N, binomial_csem


@dataclass(frozen=True)
class PsychometricReport:
    distribution: Distribution
    extras: Mapping[str, ItemExtra]  # "bank/item" -> figures
    modules: tuple[ModuleReliability, ...]
    cut: float  # raw points, on the scored items
    scored_items: int
    csem_at_cut: float
    decision: DecisionQuality | None
    dif: tuple[tuple[str, DifResult], ...]  # ("bank/item", result), B and C first
    dif_groups: tuple[str, ...]
    small_sample_items: tuple[str, ...]  # items given to fewer than MIN_ITEM_N candidates
    warnings: tuple[str, ...]


def psychometric_report(
    analysis: ItemAnalysis,
    keys: Mapping[str, KeyedItem],
    cut: float,
    groups: Mapping[str, str] | None = None,
) -> PsychometricReport:
    """The extended figures for ``analysis``; ``cut`` in raw points of the scored items."""
    scored = analysis.scored
    if scored is None:
        raise ValueError("the analysis carries no scored responses")
    k = len(scored.columns)
    letters = [analysis.letters.get(name, keys[name].key) for name in scored.columns]
    r = flatten(scored.positions, scored.scores, [s.answers for s in scored.sittings], k)
    extras_list = item_extras(r, letters)
    extras = dict(zip(scored.columns, extras_list, strict=True))
    live = np.array([bool(x) for x in letters])
    module_of = np.array([keys[name].module for name in scored.columns])
    modules = module_reliability(r, module_of, live, analysis.basis == "fixed form")
    summary = analysis.summary
    # A blind guesser's expected raw score on an average form: sum_j (n_j / N) * guess_j.
    given = {i.item: i.n for i in analysis.items}
    n_rows = max(1, len(scored.sittings))
    per_form = sum(given.get(name, 0) / n_rows * extras[name].random_guess for name in scored.columns)
    dist = distribution(r.totals, per_form, summary.kr20)
    k_scored = summary.n_items
    decision = livingston_lewis(r.totals, k_scored, cut, summary.kr20)
    warnings = []
    n = summary.n_candidates
    small = tuple(i.item for i in analysis.items if i.n < MIN_ITEM_N)
    if n < MIN_ITEM_N:
        warnings.append(
            f"only {n} candidates: item statistics, KR-20 and decision consistency need at least {MIN_ITEM_N} "
            "to mean much; treat every figure as provisional"
        )
    elif small:
        warnings.append(f"{len(small)} items were given to fewer than {MIN_ITEM_N} candidates (marked 'small n')")
    dif: list[tuple[str, DifResult]] = []
    labels: list[str] = []
    if groups:
        labels = sorted({g for g in groups.values() if g})
        index = {g: i for i, g in enumerate(labels)}
        row_group = np.array([index.get(groups.get(s.candidate_id, ""), -1) for s in scored.sittings])
        if len(labels) >= 2:
            found = mantel_haenszel(r.columns, r.correct, r.sitting, r.totals, row_group, k, labels)
            dif = [(scored.columns[d.item], d) for d in found if live[d.item]]
            dif.sort(key=lambda p: ({"C": 0, "B": 1, "A": 2}.get(p[1].category, 3), p[0]))
            if all(d.category == "too few" for _, d in dif):
                warnings.append(f"DIF needs at least {MIN_GROUP} candidates of each group per item; none classified")
    return PsychometricReport(
        dist,
        extras,
        tuple(modules),
        cut,
        k_scored,
        binomial_csem(cut, k_scored),
        decision,
        tuple(dif),
        tuple(labels),
        small,
        tuple(warnings),
    )


def report_dict(report: PsychometricReport) -> dict[str, object]:
    """JSON-ready data (NaN as null)."""

    def num(value: float, digits: int = 4) -> float | None:
        return None if value is None or math.isnan(value) else round(float(value), digits)

    d = report.distribution
    dq = report.decision
    return {
        "distribution": {
            "n": d.n,
            "median": num(d.median),
            "sd": num(d.sd),
            "skewness": num(d.skewness),
            "kurtosis": num(d.kurtosis),
            "min": d.minimum,
            "max": d.maximum,
            "random_guess_score": num(d.random_guess_score),
            "error_ratio": num(d.error_ratio),
        },
        "cut": num(report.cut),
        "scored_items": report.scored_items,
        "csem_at_cut": num(report.csem_at_cut),
        "csem_method": "Lord (1955) binomial error model",
        "decision": None
        if dq is None
        else {
            "method": "Livingston-Lewis (1995), two-parameter beta true scores",
            "effective_length": dq.effective_length,
            "accuracy": num(dq.accuracy),
            "consistency": num(dq.consistency),
            "kappa": num(dq.kappa),
            "false_pass": num(dq.false_pass),
            "false_fail": num(dq.false_fail),
        },
        "modules": [
            {
                "module": m.module,
                "items": m.items,
                "kr20": num(m.kr20),
                "sem": num(m.sem),
                "prmse_subscore": num(m.prmse_subscore),
                "prmse_total": num(m.prmse_total),
                "reportable": m.reportable,
                "reason": m.reason,
            }
            for m in report.modules
        ],
        "dif_groups": list(report.dif_groups),
        "dif": [
            {
                "item": name,
                "reference": r.reference,
                "focal": r.focal,
                "n_reference": r.n_reference,
                "n_focal": r.n_focal,
                "odds_ratio": num(r.odds_ratio),
                "mh_d_dif": num(r.delta),
                "chi2": num(r.chi2),
                "category": r.category,
            }
            for name, r in report.dif
        ],
        "small_sample_items": list(report.small_sample_items),
        "warnings": list(report.warnings),
    }


def item_dict(extra: ItemExtra) -> dict[str, object]:
    def num(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 4)

    return {
        "sd": num(extra.sd),
        "random_guess": num(extra.random_guess),
        "discriminative_efficiency": num(extra.discriminative_efficiency),
        "upper_27": num(extra.upper),
        "lower_27": num(extra.lower),
        "upper_lower": num(extra.upper_lower),
        "option_point_biserials": {k: num(v) for k, v in extra.option_pbis.items()},
    }
