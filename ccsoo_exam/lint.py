"""Item-writing flaws that a schema cannot see, and a bank's summary for review.

The checks follow common item-writing guidance (Haladyna, Downing & Rodriguez 2002):
no "all/none of the above", keys spread evenly over the letters, the key not given
away by being the longest option or by absolutes that sit only in distractors, no
repeated stems, a rationale that answers every distractor, and negative stems only with
the negative word emphasised. Over all banks given, the structural-cue audit (`audit`)
asks whether the options' shape alone gives the key away, and finds near-duplicate items.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ccsoo_exam.bank import LETTERS, Bank, Item
from ccsoo_exam.cues import adjusted
from ccsoo_exam.errors import Problem

if TYPE_CHECKING:
    from ccsoo_exam.cue_audit import Audit

KEY_SHARE_LOW = 0.20
KEY_SHARE_HIGH = 0.30
LONGEST_KEY_MAX = 0.30
MIN_ITEMS_FOR_BALANCE = 8

_ABOVE = re.compile(r"\b(all|none|both|neither) of the (above|options|answers)\b|\bboth [A-D] and [A-D]\b", re.I)
# "Specific determiners": when absolutes sit mostly in distractors, test-wise candidates
# rule those options out without knowing the content.
_ABSOLUTE = re.compile(r"\b(always|never|guarantee[sd]?|entirely|completely|solely|none|every|all)\b", re.I)
ABSOLUTE_GAP = 0.10
_NEGATIVE = re.compile(r"\b(not|except|least|never)\b", re.I)


@dataclass(frozen=True)
class Summary:
    """What `bank inspect` shows: the shape of a bank at a glance."""

    bank: str
    module: int
    items: int
    by_topic: dict[str, int]
    by_difficulty: dict[str, int]
    by_kind: dict[str, int]
    keys: dict[str, int]
    key_longest: int


def uniquely_longest(item: Item) -> str | None:
    """The letter whose option is strictly longer than every other, if there is one."""
    lengths = sorted(((len(text), letter) for letter, text in item.options.items()), reverse=True)
    if lengths[0][0] > lengths[1][0]:
        return lengths[0][1]
    return None


def _letters(bank: Bank) -> tuple[str, ...]:
    """Every letter some item of the bank uses (A-D for the four-option CCSOO banks)."""
    return LETTERS[: max((len(i.options) for i in bank.items), default=4)]


def summarise(bank: Bank) -> Summary:
    return Summary(
        bank=bank.id,
        module=bank.module,
        items=len(bank.items),
        by_topic=dict(Counter(i.topic for i in bank.items).most_common()),
        by_difficulty={d: sum(i.difficulty == d for i in bank.items) for d in ("easy", "medium", "hard")},
        by_kind=dict(Counter(i.kind for i in bank.items).most_common()),
        keys={letter: sum(i.key == letter for i in bank.items) for letter in _letters(bank)},
        key_longest=sum(uniquely_longest(i) == i.key for i in bank.items),
    )


def lint_bank(bank: Bank) -> list[Problem]:
    """Every item-writing flaw in one bank, the cue audit of that bank alone included."""
    from ccsoo_exam.cue_audit import run_audit  # numpy: only when a lint actually runs

    return item_flaws(bank) + run_audit([bank]).failures


def lint_banks(banks: Sequence[Bank]) -> tuple[list[Problem], Audit]:
    """Each bank's own flaws, and the cue audit over all banks together (its failures not included)."""
    from ccsoo_exam.cue_audit import run_audit

    return [flaw for bank in banks for flaw in item_flaws(bank)], run_audit(banks)


def item_flaws(bank: Bank) -> list[Problem]:
    """Every item-writing flaw in the bank, item problems first, then bank-wide ones."""
    problems: list[Problem] = []

    def flag(line: int | None, message: str) -> None:
        problems.append(Problem(bank.path, line, message))

    stems: dict[str, Item] = {}
    for item in bank.items:
        for letter, text in item.options.items():
            if above := _ABOVE.search(text):
                flag(item.line, f"item {item.id} option {letter} uses '{above.group(0)}'; write a real alternative")
        for match in _NEGATIVE.finditer(item.stem):
            if not match.group(0).isupper():
                flag(
                    item.line,
                    f"item {item.id} stem is negative ('{match.group(0)}'); "
                    f"rephrase, or write it in capitals ({match.group(0).upper()})",
                )
                break
        normal = " ".join(re.sub(r"[^a-z0-9 ]", " ", item.stem.lower()).split())
        if normal in stems:
            flag(
                item.line,
                f"item {item.id} repeats the stem of item {stems[normal].id}; make each item test something different",
            )
        else:
            stems[normal] = item
        missing = [letter for letter in item.letters if letter != item.key and f"Option {letter}" not in item.rationale]
        if missing:
            flag(
                item.line,
                f"item {item.id} rationale does not say why {', '.join('Option ' + m for m in missing)} is wrong; "
                "add a sentence for each",
            )
        if len(item.rationale) < 40:
            flag(item.line, f"item {item.id} rationale is too short to justify the key; explain it")
    n = len(bank.items)
    if n >= MIN_ITEMS_FOR_BALANCE:
        summary = summarise(bank)
        for letter, count in summary.keys.items():
            share = count / n
            # Guessing puts a letter on 1/k of the items that have it (a quarter with four options).
            expected = sum(1 / len(i.options) for i in bank.items if letter in i.options) / n
            low, high = adjusted(KEY_SHARE_LOW, expected), adjusted(KEY_SHARE_HIGH, expected)
            if not low - 1e-9 <= share <= high + 1e-9:
                flag(
                    None,
                    f"key {letter} is the answer to {count} of {n} items ({share:.0%}); "
                    f"keep each letter between {low:.0%} and {high:.0%}",
                )
        keys_absolute = sum(bool(_ABSOLUTE.search(i.options[i.key])) for i in bank.items) / n
        distractors_absolute = sum(
            bool(_ABSOLUTE.search(text)) for i in bank.items for letter, text in i.options.items() if letter != i.key
        ) / sum(len(i.options) - 1 for i in bank.items)
        if distractors_absolute - keys_absolute > ABSOLUTE_GAP and distractors_absolute > 2 * keys_absolute:
            flag(
                None,
                f"absolute words (all, every, always, never, entirely...) appear in {distractors_absolute:.0%} of "
                f"distractors but {keys_absolute:.0%} of keys, a cue test-wise candidates use; reword so keys and "
                "distractors carry them alike",
            )
        share = summary.key_longest / n
        if share > LONGEST_KEY_MAX:
            flag(
                None,
                f"the key is the longest option in {summary.key_longest} of {n} items ({share:.0%}); "
                f"keep it at or under {LONGEST_KEY_MAX:.0%} by lengthening distractors",
            )
    return problems
