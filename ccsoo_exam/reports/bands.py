"""Per-module performance bands for a candidate's score report: below, near or above the standard.

A module's standard is the exam's cut applied to the module: ``cut_score / item_count`` of its
items. A subscore of ``n`` items measures with a binomial standard error of about
``sqrt(n c (1 - c))`` items at the standard ``c`` (Lord's binomial error model), so a subscore
within one such error of the standard is reported as *near* it, not above or below: with 16
items and a 70% cut the standard is 11.2 items, the error 1.8, and 10-13 correct read as near.

Subscores rest on few items; a report that shows them says so (``SHORT_SUBSCORE``).
Pure: no database, no PDF; the store hands in the sitting, the report draws it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

BELOW, NEAR, ABOVE = "below the standard", "near the standard", "above the standard"
SHORT_SUBSCORE = 20  # fewer items than this: a subscore is a guide for study, not a measurement to decide on


@dataclass(frozen=True)
class SittingResult:
    """One candidate's submitted sitting as a score report needs it (never any item content)."""

    sitting_id: str
    candidate_id: str
    candidate_name: str
    exam_id: str
    exam_title: str
    submitted_at: str
    raw: int
    total: int
    percent: float
    passed: bool
    cut_score: int
    item_count: int
    modules: Mapping[int, tuple[int, int]] = field(default_factory=dict)  # module -> (correct, items)
    receipt_code: str = ""
    chain_head: str = ""
    scaled: float | None = None  # on the reporting scale, when a calibration set one
    rescored: bool = False


@dataclass(frozen=True)
class ModuleBand:
    module: int
    correct: int
    items: int
    standard: float  # items correct at the standard
    error: float  # binomial standard error at the standard, in items
    band: str

    @property
    def short(self) -> bool:
        return self.items < SHORT_SUBSCORE


def band(correct: int, items: int, cut_fraction: float) -> ModuleBand:
    """The band of ``correct`` out of ``items`` against a standard of ``cut_fraction`` of the items."""
    standard = cut_fraction * items
    error = math.sqrt(items * cut_fraction * (1 - cut_fraction))
    if error == 0:  # a cut of 0% or 100%: only exactly at the standard is near
        error = 0.5
    if correct < standard - error:
        where = BELOW
    elif correct > standard + error:
        where = ABOVE
    else:
        where = NEAR
    return ModuleBand(0, correct, items, standard, error, where)


def module_bands(result: SittingResult) -> list[ModuleBand]:
    """The band of every module of the sitting, by module number."""
    cut_fraction = result.cut_score / result.item_count if result.item_count else 0.0
    bands = []
    for module, (correct, items) in sorted(result.modules.items()):
        if items <= 0:
            continue  # every item of the module dropped after a key challenge
        b = band(correct, items, cut_fraction)
        bands.append(ModuleBand(module, b.correct, b.items, b.standard, b.error, b.band))
    return bands
