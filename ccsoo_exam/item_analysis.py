"""Classical item analysis of submitted sittings: what each item did, and how the test held together.

Per item (identified as ``bank/item``, over the candidates whose form included it):

* ``p_value``     -- the proportion who chose the key;
* ``item_total``  -- the corrected item-total (point-biserial) correlation: the item's 0/1 score
  against the candidate's total *without* this item (Henrysson 1963);
* ``shares``      -- the proportion choosing each of the item's authored options (A-C, A-D or
  A-E: items have 3 to 5), and omitting it;
* ``flags``       -- in words: p below 0.20 (too hard or miskeyed) or above 0.95 (too easy to
  inform), negative or low (< 0.20) discrimination, a distractor nobody chose, a distractor
  chosen more often than the key (a miskey or a second defensible answer).

For the test: mean, SD, KR-20 and the standard error of measurement (``stats.test_summary``).

When every candidate sat the same items (a fixed form, in any order), the statistics are
exactly ``stats.item_statistics`` and ``stats.test_summary`` of the candidates x items matrix.
When forms draw different items from larger banks, each item's figures use the candidates who
were given it, with the same formulas, and the test summary uses the candidates x form-position
matrix: the reliability of a randomly drawn form. ``basis`` says which one applied.

Letters are the *authored* letters (responses are stored authored, whatever order was shown).
Pure: no SQLite, no Textual; the store hands in the rows and the package hands in the keys.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import contains

from ccsoo_exam.bank import LETTERS, Bank
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.stats import TestSummary, item_statistics, test_summary

LOW_P = 0.20
HIGH_P = 0.95
LOW_DISCRIMINATION = 0.20
OMIT = "-"


@dataclass(frozen=True)
class SittingAnswers:
    """One submitted sitting's form and answers, as compact strings (10,000 of these stay cheap)."""

    sitting_id: str
    candidate_id: str
    item_count: int
    cut_score: int
    items: str  # "bank/item" per form position, joined with ","
    answers: str  # the authored letter per form position, "-" when unanswered


@dataclass(frozen=True)
class KeyedItem:
    """What scoring needs about one item: its module and its key (never stored in a database)."""

    module: int
    key: str
    options: int = 4  # how many options (3-5) the item has: its distractors are the other letters


@dataclass(frozen=True)
class ItemResult:
    item: str  # "bank/item"
    module: int
    key: str  # the letters counted correct (more than one after an accepted key challenge)
    n: int  # candidates whose form included the item
    p_value: float
    item_total: float  # NaN when the item or the rest score does not vary
    shares: dict[str, float]  # each of the item's letters ("A".."C"/"D"/"E") and "-" (omitted) -> proportion of n
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ItemAnalysis:
    items: tuple[ItemResult, ...]
    summary: TestSummary
    totals: tuple[int, ...]  # each candidate's raw score, in sitting order
    basis: str  # "fixed form" or "randomly drawn forms"
    # The scored responses and the letters counted correct, for psychometrics/report.py.
    scored: ScoredRows | None = field(default=None, repr=False, compare=False)
    letters: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class ScoredRows:
    """Responses scored 0/1, by form position and by item column, with option counts."""

    columns: list[str]  # column index -> "bank/item"
    sittings: list[SittingAnswers]
    positions: list[tuple[int, ...]]  # per sitting: the column of each form position
    scores: list[list[bool]]  # per sitting: correct at each form position
    choices: Counter[tuple[int, str]]  # (column, authored letter or "-") -> count


def package_keys(banks: Mapping[str, Bank]) -> dict[str, KeyedItem]:
    """``bank/item`` -> module and key for every item of the opened package."""
    return {
        f"{bank.id}/{item.id}": KeyedItem(bank.module, item.key, len(item.options))
        for bank in banks.values()
        for item in bank.items
    }


def score_rows(rows: Iterable[SittingAnswers], accepted: Mapping[str, str]) -> ScoredRows:
    """Score each sitting against ``accepted``: ``bank/item`` -> the letters counted correct ("" = dropped).

    Sittings sharing a form share one column lookup, so a fixed form costs one dict lookup per
    sitting rather than per response; the comparisons run in C through ``map``.
    """
    index: dict[str, int] = {}
    forms: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {}
    scored = ScoredRows([], [], [], [], Counter())
    for row in rows:
        form = forms.get(row.items)
        if form is None:
            names = row.items.split(",")
            unknown = [n for n in names if n not in accepted]
            if unknown:
                raise CcsooError(
                    Problem(
                        f"sitting {row.sitting_id}",
                        None,
                        f"item {unknown[0]} is not in the exam package ({len(unknown)} unknown); "
                        "use the package the candidates sat",
                    )
                )
            form = (tuple(index.setdefault(n, len(index)) for n in names), tuple(accepted[n] for n in names))
            forms[row.items] = form
        columns, keyline = form
        scored.sittings.append(row)
        scored.positions.append(columns)
        scored.scores.append(list(map(contains, keyline, row.answers)))
        scored.choices.update(zip(columns, row.answers, strict=True))
    scored.columns = sorted(index, key=index.__getitem__)
    return scored


def analyse(
    rows: Iterable[SittingAnswers], keys: Mapping[str, KeyedItem], accepted: Mapping[str, str] | None = None
) -> ItemAnalysis:
    """Item and test statistics for the submitted sittings of one exam.

    ``accepted`` overrides the keys (``bank/item`` -> letters counted correct, "" for a dropped
    item), as after an applied rescoring; by default each item's authored key is used.
    """
    letters = {name: item.key for name, item in keys.items()}
    if accepted:
        letters.update(accepted)
    scored = score_rows(rows, letters)
    if not scored.sittings:
        raise CcsooError(
            Problem("results", None, "no submitted sittings for this exam; merge the terminals' files first")
        )
    k = len(scored.columns)
    fixed = all(len(cols) == k for cols in set(scored.positions)) and all(
        len(set(cols)) == k for cols in set(scored.positions)
    )
    live = [bool(letters[name]) for name in scored.columns]
    try:
        if fixed:
            matrix = [_by_column(cols, row, k) for cols, row in zip(scored.positions, scored.scores, strict=True)]
            item_stats = [(s.p_value, s.item_total) for s in item_statistics(matrix)]
            counts = [len(matrix)] * k
            if all(live):
                summary = test_summary(matrix)
            else:  # a dropped item is not part of the test: the summary counts the scored items only
                keep = [j for j in range(k) if live[j]]
                summary = test_summary([[row[j] for j in keep] for row in matrix])
        else:
            item_stats, counts = _sparse_item_statistics(scored, k)
            scored_only = all(live)
            summary = test_summary(scored.scores) if scored_only else _summary_without(scored, live, item_stats, counts)
    except ValueError as exc:
        raise CcsooError(Problem("results", None, f"cannot compute the statistics: {exc}")) from None
    items = []
    for column, name in enumerate(scored.columns):
        p_value, item_total = item_stats[column]
        n = counts[column]
        own = LETTERS[: keys[name].options]
        shares = {letter: scored.choices.get((column, letter), 0) / n for letter in (*own, OMIT)}
        key = letters[name]
        items.append(
            ItemResult(
                name, keys[name].module, key, n, p_value, item_total, shares, flags(p_value, item_total, shares, key)
            )
        )
    items.sort(key=lambda r: (r.module, r.item))
    totals = tuple(sum(row) for row in scored.scores)
    basis = "fixed form" if fixed else "randomly drawn forms"
    return ItemAnalysis(tuple(items), summary, totals, basis, scored, letters)


def _summary_without(
    scored: ScoredRows, live: Sequence[bool], item_stats: Sequence[tuple[float, float]], counts: Sequence[int]
) -> TestSummary:
    """The test summary of randomly drawn forms scored without their dropped items.

    Compacted rows have the scored items only; when every form lost the same number they form a
    matrix and ``test_summary`` applies. Otherwise KR-20 uses the form length and the item
    variances a form holds on average: k/(k-1) (1 - sum_j (n_j / N) p_j q_j / var(X)).
    """
    rows = [
        [m for c, m in zip(cols, marks, strict=True) if live[c]]
        for cols, marks in zip(scored.positions, scored.scores, strict=True)
    ]
    if len(set(map(len, rows))) == 1:
        return test_summary(rows)
    n = len(rows)
    totals = [sum(r) for r in rows]
    length = sum(map(len, rows)) / n
    mean = sum(totals) / n
    var = sum((t - mean) ** 2 for t in totals) / n
    pq = sum(counts[j] / n * p * (1 - p) for j, (p, _) in enumerate(item_stats) if live[j])
    reliability = length / (length - 1) * (1 - pq / var) if var > 0 and length > 1 else math.nan
    sd = math.sqrt(var)
    sem = math.nan if math.isnan(reliability) else sd * math.sqrt(max(0.0, 1 - reliability))
    return TestSummary(n, round(length), mean, sd, reliability, sem)


def _by_column(columns: Sequence[int], row: Sequence[bool], k: int) -> Sequence[bool]:
    if all(c == i for i, c in enumerate(columns)):
        return row
    ordered = [False] * k
    for column, value in zip(columns, row, strict=True):
        ordered[column] = value
    return ordered


def _sparse_item_statistics(scored: ScoredRows, k: int) -> tuple[list[tuple[float, float]], list[int]]:
    # Per column sums over the candidates given the item: x, rest score Y = total - x, Y^2 and x*Y.
    n = [0] * k
    sx = [0] * k
    sy = [0] * k
    syy = [0] * k
    sxy = [0] * k
    for columns, row in zip(scored.positions, scored.scores, strict=True):
        total = sum(row)
        for column, x in zip(columns, row, strict=True):
            rest = total - x
            n[column] += 1
            sx[column] += x
            sy[column] += rest
            syy[column] += rest * rest
            sxy[column] += x * rest
    result = []
    for j in range(k):
        var_x = n[j] * sx[j] - sx[j] * sx[j]
        var_y = n[j] * syy[j] - sy[j] * sy[j]
        cov = n[j] * sxy[j] - sx[j] * sy[j]
        r = cov / math.sqrt(var_x * var_y) if var_x * var_y > 0 else math.nan
        result.append((sx[j] / n[j], r))
    return result, n


def flags(p_value: float, item_total: float, shares: Mapping[str, float], key: str) -> tuple[str, ...]:
    """The item's warning flags, in words, most serious first."""
    if not key:
        return ("dropped after a key challenge (not scored)",)
    if OMIT in key:
        return ("credited to every candidate after a key challenge",)
    found = []
    if p_value < LOW_P:
        found.append(f"hard: p {p_value:.2f} below {LOW_P:.2f}")
    elif p_value > HIGH_P:
        found.append(f"easy: p {p_value:.2f} above {HIGH_P:.2f}")
    if math.isnan(item_total):
        found.append("discrimination undefined: every candidate scored the same on it")
    elif item_total < 0:
        found.append(f"negative discrimination ({item_total:.2f})")
    elif item_total < LOW_DISCRIMINATION:
        found.append(f"low discrimination ({item_total:.2f})")
    key_share = max(shares.get(letter, 0.0) for letter in key)
    for letter in (x for x in shares if x != OMIT):
        if letter in key:
            continue
        if shares.get(letter, 0.0) == 0:
            found.append(f"distractor {letter} chosen by nobody")
        elif shares[letter] > key_share:
            found.append(f"distractor {letter} chosen more than the key")
    return tuple(found)


def histogram(totals: Sequence[int], top: int, bins: int = 16) -> list[tuple[int, int, int]]:
    """Counts of raw scores in equal bins over 0..top: (low, high, count), both ends inclusive."""
    width = max(1, math.ceil((top + 1) / bins))
    counts = Counter(min(t, top) // width for t in totals)
    return [(b * width, min(top, (b + 1) * width - 1), counts.get(b, 0)) for b in range(math.ceil((top + 1) / width))]
