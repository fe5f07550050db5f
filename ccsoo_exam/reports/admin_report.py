"""The figures of the administrator's report, gathered in one frozen value and summarised.

Module subscores come from the current scores (after rescoring); form difficulty from the item
analysis: a form's classical difficulty is its expected raw score, the sum of its items'
p-values, so forms drawn from larger banks can be compared on one scale. When a Rasch
calibration or a standard-setting study exists it is given here as text, and the report says
plainly when there is none.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ccsoo_exam.item_analysis import ItemAnalysis
from ccsoo_exam.reports.bands import SittingResult


@dataclass(frozen=True)
class ModuleSummary:
    module: int
    items: int  # items scored per sitting (the most common count)
    sittings: int
    mean: float  # mean items correct
    sd: float  # population SD
    standard: float  # items correct at the standard (the cut applied to the module)
    at_or_above: int  # sittings at or above the standard


@dataclass(frozen=True)
class FormSummary:
    label: str  # "form 1".. in order of first delivery
    sittings: int
    items: int
    expected: float  # sum of the form's items' p-values: the classical expected raw score
    mean_raw: float  # observed mean raw score of the sittings on it


@dataclass(frozen=True)
class AdminReport:
    exam_id: str
    title: str
    item_count: int
    cut_score: int
    cut_basis: str
    generated_at: str
    database: str
    analysis: ItemAnalysis
    histogram: Sequence[tuple[int, int, int]]
    modules: Sequence[ModuleSummary]
    forms: Sequence[FormSummary]
    decisions: Sequence[Any] = ()  # store.reporting.DecisionRow
    panels: Sequence[tuple[Any, Any]] = ()  # (Rubric, PanelReport)
    rescorings: Sequence[tuple[str, str, str, str, str, str]] = ()
    passed: int = 0  # submitted sittings passing on their current score
    scored: int = 0  # submitted sittings with a current score
    standard_setting: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (label, value) when recorded
    calibration: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (label, value) when calibrated


def module_summaries(results: Sequence[SittingResult], cut_fraction: float) -> list[ModuleSummary]:
    """Mean, SD and the share at the standard of each module's subscore over the sittings."""
    by_module: dict[int, list[tuple[int, int]]] = {}
    for result in results:
        for module, pair in result.modules.items():
            by_module.setdefault(module, []).append(pair)
    summaries = []
    for module, pairs in sorted(by_module.items()):
        correct = [c for c, _ in pairs]
        items = Counter(n for _, n in pairs).most_common(1)[0][0]
        standard = cut_fraction * items
        summaries.append(
            ModuleSummary(
                module,
                items,
                len(pairs),
                statistics.fmean(correct),
                statistics.pstdev(correct),
                standard,
                sum(1 for c, n in pairs if c >= cut_fraction * n),
            )
        )
    return summaries


def form_summaries(forms: Mapping[str, tuple[int, float]], analysis: ItemAnalysis) -> list[FormSummary]:
    """Each distinct form (``bank/item`` list joined with ',' -> sittings and summed raw) with its difficulty.

    Forms are numbered in the order given (the order they were first seen). Items dropped after
    a key challenge count 0 in the expected score, as they do in the raw score.
    """
    p_values = {r.item: (r.p_value if r.key else 0.0) for r in analysis.items}
    summaries = []
    for number, (items, (sittings, raw_sum)) in enumerate(forms.items(), start=1):
        names = items.split(",")
        expected = sum(p_values.get(name, 0.0) for name in names)
        summaries.append(FormSummary(f"form {number}", sittings, len(names), expected, raw_sum / sittings))
    return summaries


def spread(forms: Sequence[FormSummary]) -> tuple[float, float, float] | None:
    """(lowest, highest, SD) of the forms' expected raw scores; None with fewer than two forms."""
    if len(forms) < 2:
        return None
    expected = [f.expected for f in forms]
    return min(expected), max(expected), statistics.pstdev(expected)


def finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value
