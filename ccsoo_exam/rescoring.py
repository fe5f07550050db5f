"""Rescoring after a key challenge: drop an item, or accept an additional key.

Scores are always recomputed from the stored responses (authored letters) and the package's
keys with every applied change plus the proposed one, so a second challenge builds on the
first and the result never depends on the order scores were copied around.

Rules (docs/admin.md):

* Dropping an item removes it from the candidate's total: a candidate whose form held the
  item is scored out of one item fewer, in the module subscore too.
* Accepting an additional key counts either letter as correct.
* The cut keeps its proportion: a sitting passes when ``raw / total >= cut_score / item_count``
  (compared in whole numbers), so dropping an item never lowers or raises the standard.
* "Within one SEM of the cut": ``|raw - cut_score * total / item_count| <= SEM``, with the SEM
  of the rescored raw scores from ``stats.test_summary`` (dropped items scored 0 for everyone).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ccsoo_exam.bank import LETTERS
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.item_analysis import KeyedItem, SittingAnswers, score_rows
from ccsoo_exam.stats import test_summary

DROP, ACCEPT = "drop", "accept"


@dataclass(frozen=True)
class KeyChange:
    """One decision on a key challenge."""

    bank_id: str
    item_id: str
    action: str  # DROP or ACCEPT
    letter: str | None = None  # the additional authored letter accepted

    @property
    def item(self) -> str:
        return f"{self.bank_id}/{self.item_id}"

    def describe(self) -> str:
        return f"drop {self.item}" if self.action == DROP else f"accept {self.letter} as a key of {self.item}"


@dataclass(frozen=True)
class Before:
    raw: int
    total: int
    passed: bool


@dataclass(frozen=True)
class After:
    raw: int
    total: int
    percent: float
    passed: bool
    by_module: dict[int, tuple[int, int]]  # module -> (correct, items scored)


@dataclass(frozen=True)
class RescoredSitting:
    sitting_id: str
    candidate_id: str
    before: Before
    after: After
    cut_raw: float  # the cut in raw points out of after.total

    @property
    def changed(self) -> bool:
        return self.before.passed != self.after.passed


@dataclass(frozen=True)
class RescoreResult:
    change: KeyChange
    sittings: tuple[RescoredSitting, ...]
    changed: tuple[RescoredSitting, ...]  # pass/fail differs from the current record
    near_cut: tuple[RescoredSitting, ...]  # within one SEM of the cut after rescoring
    sem: float  # NaN when undefined (too few candidates, no variance)
    kr20: float


def resolve_item(name: str, keys: Mapping[str, KeyedItem]) -> str:
    """``bank/item`` for an item given as ``bank/item`` or as a bare item id unique in the package."""
    if name in keys:
        return name
    matches = [k for k in keys if k.split("/", 1)[1] == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CcsooError(
            Problem("--item", None, f"item {name} is in several banks ({', '.join(matches)}); write bank/item")
        )
    raise CcsooError(
        Problem("--item", None, f"no item {name} in the exam package; write its id as in the bank (e.g. M1-001)")
    )


def accepted_letters(keys: Mapping[str, KeyedItem], changes: Sequence[KeyChange]) -> dict[str, str]:
    """``bank/item`` -> the letters counted correct after these changes ("" for a dropped item)."""
    accepted = {name: item.key for name, item in keys.items()}
    for change in changes:
        if change.item not in accepted:
            continue  # an item no longer in this package: nothing to score
        if change.action == DROP:
            accepted[change.item] = ""
        elif accepted[change.item] and change.letter and change.letter not in accepted[change.item]:
            accepted[change.item] = "".join(sorted(accepted[change.item] + change.letter))
    return accepted


def check_change(change: KeyChange, keys: Mapping[str, KeyedItem], applied: Sequence[KeyChange]) -> None:
    """Refuse a change that would do nothing or contradict one already applied."""
    current = accepted_letters(keys, applied).get(change.item)
    if current is None:
        raise CcsooError(Problem("--item", None, f"no item {change.item} in the exam package"))
    if current == "":
        raise CcsooError(Problem("--item", None, f"{change.item} is already dropped"))
    if change.action == ACCEPT:
        own = LETTERS[: keys[change.item].options]
        if change.letter not in own:
            raise CcsooError(
                Problem("--accept", None, f"the accepted key must be one of {', '.join(own)}, not {change.letter!r}")
            )
        if change.letter in current:
            raise CcsooError(Problem("--accept", None, f"{change.letter} already counts as correct for {change.item}"))
    elif change.action != DROP:
        raise CcsooError(Problem("rescore", None, f"unknown action {change.action!r}"))


def rescore(
    rows: Iterable[SittingAnswers],
    keys: Mapping[str, KeyedItem],
    applied: Sequence[KeyChange],
    change: KeyChange,
    current: Mapping[str, tuple[int, int, bool]],
) -> RescoreResult:
    """Every submitted sitting's score with ``change`` on top of ``applied``, against ``current``."""
    check_change(change, keys, applied)
    accepted = accepted_letters(keys, [*applied, change])
    scored = score_rows(rows, accepted)
    modules = [keys[name].module for name in scored.columns]
    live = [bool(accepted[name]) for name in scored.columns]
    results = []
    for row, columns, marks in zip(scored.sittings, scored.positions, scored.scores, strict=True):
        by_module: dict[int, list[int]] = {}
        for column, mark in zip(columns, marks, strict=True):
            if live[column]:
                tally = by_module.setdefault(modules[column], [0, 0])
                tally[0] += mark
                tally[1] += 1
        raw = sum(marks)
        total = sum(n for _, n in by_module.values())
        after = After(
            raw,
            total,
            round(100.0 * raw / total, 2) if total else 0.0,
            raw * row.item_count >= row.cut_score * total,
            {m: (c, n) for m, (c, n) in sorted(by_module.items())},
        )
        before = Before(*current[row.sitting_id]) if row.sitting_id in current else Before(raw, total, after.passed)
        results.append(
            RescoredSitting(row.sitting_id, row.candidate_id, before, after, row.cut_score * total / row.item_count)
        )
    if not results:
        raise CcsooError(Problem("results", None, "no submitted sittings for this exam; nothing to rescore"))
    try:
        summary = test_summary(scored.scores)
        sem, reliability = summary.sem, summary.kr20
    except ValueError:  # forms of different lengths: no common matrix
        sem = reliability = math.nan
    near = tuple(r for r in results if not math.isnan(sem) and abs(r.after.raw - r.cut_raw) <= sem)
    return RescoreResult(change, tuple(results), tuple(r for r in results if r.changed), near, sem, reliability)
