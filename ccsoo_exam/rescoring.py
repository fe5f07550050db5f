"""Rescoring after a key challenge: drop an item, accept an additional key, or credit everyone.

Scores are always recomputed from the stored responses (authored letters) and the package's
keys with every applied change plus the proposed one, so a second challenge builds on the
first and the result never depends on the order scores were copied around.

Rules (docs/admin.md):

* Dropping an item removes it from the candidate's total: a candidate whose form held the
  item is scored out of one item fewer, in the module subscore too.
* Accepting an additional key counts either letter as correct.
* Crediting everyone (``credit``) counts the item correct for every candidate whose form held
  it, whatever they answered or whether they answered at all; the total is unchanged.
* The cut: under an adopted standard (psychometrics/standard.py) each sitting's cut is the sum
  of the ratings of its *scored* items, made whole by the standard's rounding rule, so a dropped
  item takes its own rating out of the cut. Without one the cut keeps its proportion: a sitting
  passes when ``raw / total >= cut_score / item_count`` (compared in whole numbers), so dropping
  an item never lowers or raises the standard.
* ``protect_passes``: no candidate whose current record is a pass fails through this rescoring;
  they keep the pass (``protected``), their rescored raw score is still recorded.
* "Within one SEM of the cut": ``|raw - cut| <= SEM``, with the SEM of the rescored raw scores
  of the scored items (``stats.test_summary`` without the dropped items).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ccsoo_exam.bank import LETTERS
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.item_analysis import KeyedItem, SittingAnswers, score_rows
from ccsoo_exam.psychometrics.standard import AdoptedStandard
from ccsoo_exam.stats import test_summary

DROP, ACCEPT, CREDIT = "drop", "accept", "credit"
ACTIONS = (DROP, ACCEPT, CREDIT)
# Every letter and the omission ("-") count as correct: what a credited item scores.
CREDITED = "".join(LETTERS) + "-"


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
        if self.action == DROP:
            return f"drop {self.item}"
        if self.action == CREDIT:
            return f"credit {self.item} to every candidate given it"
        return f"accept {self.letter} as a key of {self.item}"


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
    protected: bool = False  # would have failed; kept the pass under protect_passes

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
    protect_passes: bool = False
    protected: tuple[RescoredSitting, ...] = ()

    @property
    def pass_to_fail(self) -> int:
        return sum(1 for s in self.changed if s.before.passed)

    @property
    def fail_to_pass(self) -> int:
        return sum(1 for s in self.changed if not s.before.passed)


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
        elif change.action == CREDIT and accepted[change.item]:
            accepted[change.item] = CREDITED
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
    if current == CREDITED:
        raise CcsooError(Problem("--item", None, f"{change.item} is already credited to everyone"))
    if change.action == ACCEPT:
        own = LETTERS[: keys[change.item].options]
        if change.letter not in own:
            raise CcsooError(
                Problem("--accept", None, f"the accepted key must be one of {', '.join(own)}, not {change.letter!r}")
            )
        if change.letter in current:
            raise CcsooError(Problem("--accept", None, f"{change.letter} already counts as correct for {change.item}"))
    elif change.action not in ACTIONS:
        raise CcsooError(Problem("rescore", None, f"unknown action {change.action!r}"))


def rescore(
    rows: Iterable[SittingAnswers],
    keys: Mapping[str, KeyedItem],
    applied: Sequence[KeyChange],
    change: KeyChange,
    current: Mapping[str, tuple[int, int, bool]],
    *,
    standard: AdoptedStandard | None = None,
    protect_passes: bool = False,
) -> RescoreResult:
    """Every submitted sitting's score with ``change`` on top of ``applied``, against ``current``."""
    check_change(change, keys, applied)
    accepted = accepted_letters(keys, [*applied, change])
    scored = score_rows(rows, accepted)
    modules = [keys[name].module for name in scored.columns]
    live = [bool(accepted[name]) for name in scored.columns]
    results = []
    protected = []
    for row, columns, marks in zip(scored.sittings, scored.positions, scored.scores, strict=True):
        by_module: dict[int, list[int]] = {}
        for column, mark in zip(columns, marks, strict=True):
            if live[column]:
                tally = by_module.setdefault(modules[column], [0, 0])
                tally[0] += mark
                tally[1] += 1
        raw = sum(marks)
        total = sum(n for _, n in by_module.values())
        if standard is not None:
            cut: float = standard.form_cut(scored.columns[c] for c in columns if live[c])
            passed = raw >= cut
        else:
            cut = row.cut_score * total / row.item_count
            passed = raw * row.item_count >= row.cut_score * total
        before = Before(*current[row.sitting_id]) if row.sitting_id in current else Before(raw, total, passed)
        kept = protect_passes and before.passed and not passed
        after = After(
            raw,
            total,
            round(100.0 * raw / total, 2) if total else 0.0,
            passed or kept,
            {m: (c, n) for m, (c, n) in sorted(by_module.items())},
        )
        result = RescoredSitting(row.sitting_id, row.candidate_id, before, after, cut, kept)
        results.append(result)
        if kept:
            protected.append(result)
    if not results:
        raise CcsooError(Problem("results", None, "no submitted sittings for this exam; nothing to rescore"))
    # The SEM and KR-20 of the scored items only: a dropped item is not part of the test.
    scored_marks = [
        [m for c, m in zip(columns, marks, strict=True) if live[c]]
        for columns, marks in zip(scored.positions, scored.scores, strict=True)
    ]
    try:
        summary = test_summary(scored_marks)
    except ValueError:  # random forms that lost different numbers of items: by form position, as before
        try:
            summary = test_summary(scored.scores)
        except ValueError:  # forms of different lengths: no common matrix
            summary = None
    sem, reliability = (summary.sem, summary.kr20) if summary is not None else (math.nan, math.nan)
    near = tuple(r for r in results if not math.isnan(sem) and abs(r.after.raw - r.cut_raw) <= sem)
    return RescoreResult(
        change,
        tuple(results),
        tuple(r for r in results if r.changed),
        near,
        sem,
        reliability,
        protect_passes,
        tuple(protected),
    )


@dataclass(frozen=True)
class PolicyEffect:
    """What one rescoring policy would do, for the dry run's comparison."""

    policy: str
    pass_to_fail: int
    fail_to_pass: int
    protected: int


def compare_policies(
    rows: Sequence[SittingAnswers],
    keys: Mapping[str, KeyedItem],
    applied: Sequence[KeyChange],
    item: str,
    current: Mapping[str, tuple[int, int, bool]],
    *,
    standard: AdoptedStandard | None = None,
    accept: str | None = None,
) -> list[PolicyEffect]:
    """The effect of each policy on ``item``: drop, credit everyone, accept ``accept`` (when given),
    each plainly and with protected passes. Policies that cannot apply (already dropped) are left out."""
    bank_id, item_id = item.split("/", 1)
    changes = [KeyChange(bank_id, item_id, DROP), KeyChange(bank_id, item_id, CREDIT)]
    if accept:
        changes.append(KeyChange(bank_id, item_id, ACCEPT, accept))
    effects = []
    for change in changes:
        for protect in (False, True):
            try:
                r = rescore(rows, keys, applied, change, current, standard=standard, protect_passes=protect)
            except CcsooError:
                continue
            name = change.describe() + (" (passes protected)" if protect else "")
            effects.append(PolicyEffect(name, r.pass_to_fail, r.fail_to_pass, len(r.protected)))
    return effects
