"""Near-duplicate items: two items, in any banks, that test the same point.

If both can land on one form, a candidate answers the same question twice and the
form measures less than it claims. Two readings of each item are compared, each as
TF-IDF over stemmed content words with cosine similarity: the question it asks (stem
and key) and the point its rationale argues. A pair's score is the higher of the two,
because the same point can be dressed in different scenarios (then the rationales
match) or argued in different words about the same scenario (then stem and key match).
Words that every item uses carry no weight, so house style does not make items alike.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ccsoo_exam.bank import Bank, Item
from ccsoo_exam.cues import content_words

# Calibrated on the 2026.1 banks (200 items, 19,900 pairs): the five pairs known to test
# the same point score 0.30-0.64 (M1-006/M4-026, the same point in other words, is the
# lowest, found through its rationale). 0.29 keeps a margin under it and flags 31 pairs,
# most the same point on review; below 0.28 calculation items that merely share
# vocabulary (ROI, Erlang C) begin to dominate.
THRESHOLD = 0.29

# The same idea under the names service operations gives it; stems as `content_words` makes them.
_SYNONYMS = (
    ("metric", "measur", "kpi", "indicator"),
    ("scorecard", "dashboard", "pack"),
    ("board", "director"),
    ("custom", "client", "patient", "member", "caller", "policyholder", "subscrib"),
)
_CANONICAL = {word: group[0] for group in _SYNONYMS for word in group}


@dataclass(frozen=True)
class Pair:
    first: Item
    first_bank: Bank
    second: Item
    second_bank: Bank
    score: float  # the higher of the two readings
    question: float  # stem and key
    rationale: float

    @property
    def declared(self) -> bool:
        """Declared as enemies on either side: form assembly keeps them apart."""
        return self.second.id in self.first.enemies or self.first.id in self.second.enemies


def terms(text: str) -> list[str]:
    return [_CANONICAL.get(w, w) for w in content_words(text)]


def _vectors(items: Sequence[Item], reading: Callable[[Item], list[str]]) -> list[dict[str, float]]:
    docs = [Counter(reading(item)) for item in items]
    df = Counter(word for doc in docs for word in doc)
    n = len(docs)
    vectors = []
    for doc in docs:
        # Unsmoothed idf: a word in every item weighs exactly nothing.
        v = {w: (1 + math.log(tf)) * math.log(n / df[w]) for w, tf in doc.items() if df[w] < n}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({w: x / norm for w, x in v.items()})
    return vectors


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    small, large = (a, b) if len(a) < len(b) else (b, a)
    return sum(x * large.get(w, 0.0) for w, x in small.items())


def similar_pairs(banks: Sequence[Bank], floor: float = THRESHOLD) -> list[Pair]:
    """Every pair of items scoring at least `floor` (and above zero), most similar first."""
    entries = [(bank, item) for bank in banks for item in bank.items]
    items = [item for _bank, item in entries]
    questions = _vectors(items, lambda i: terms(i.stem) + terms(i.options[i.key]))
    rationales = _vectors(items, lambda i: terms(i.rationale))
    pairs = []
    for i, (bank_a, a) in enumerate(entries):
        for j in range(i + 1, len(entries)):
            q = _cosine(questions[i], questions[j])
            r = _cosine(rationales[i], rationales[j])
            score = max(q, r)
            if score >= floor and score > 0:
                bank_b, b = entries[j]
                pairs.append(Pair(a, bank_a, b, bank_b, round(score, 4), round(q, 4), round(r, 4)))
    return sorted(pairs, key=lambda p: (-p.score, p.first.id, p.second.id))
