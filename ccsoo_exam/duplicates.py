"""Near-duplicate items: two items, in any banks, that test the same point.

If both can land on one form, a candidate answers the same question twice and the
form measures less than it claims. Each item is read as its stem plus its key (the
point it tests), weighted TF-IDF over stemmed content words, and compared by cosine.
Words every item shares carry no weight, so house style ("Which action should the COO
take FIRST?") does not make items look alike.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ccsoo_exam.bank import Bank, Item
from ccsoo_exam.cues import content_words

# Calibrated on the 2026.1 banks: the five known same-point pairs score 0.29-0.52, and
# the highest pair that is not the same point scores below this (see docs/formats.md).
THRESHOLD = 0.30
KEY_WEIGHT = 1.0  # the key's words count as much as the stem's: the point is in both


@dataclass(frozen=True)
class Pair:
    first: Item
    first_bank: Bank
    second: Item
    second_bank: Bank
    score: float

    @property
    def declared(self) -> bool:
        """Declared as enemies on either side: form assembly keeps them apart."""
        return self.second.id in self.first.enemies or self.first.id in self.second.enemies


def _vectors(items: Sequence[Item]) -> list[dict[str, float]]:
    docs = [Counter(content_words(i.stem)) + _weighted(content_words(i.options[i.key])) for i in items]
    df = Counter(word for doc in docs for word in doc)
    n = len(docs)
    vectors = []
    for doc in docs:
        # Unsmoothed idf: a word in every item weighs exactly nothing.
        v = {w: (1 + math.log(tf)) * math.log(n / df[w]) for w, tf in doc.items() if df[w] < n}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({w: x / norm for w, x in v.items()})
    return vectors


def _weighted(words: list[str]) -> Counter[str]:
    return Counter({w: c * KEY_WEIGHT for w, c in Counter(words).items()})


def similar_pairs(banks: Sequence[Bank], floor: float = 0.0) -> list[Pair]:
    """Every pair of items scoring at least `floor`, most similar first."""
    entries = [(bank, item) for bank in banks for item in bank.items]
    vectors = _vectors([item for _bank, item in entries])
    pairs = []
    for i, (bank_a, a) in enumerate(entries):
        va = vectors[i]
        for j in range(i + 1, len(entries)):
            vb = vectors[j]
            small, large = (va, vb) if len(va) < len(vb) else (vb, va)
            score = sum(x * large.get(w, 0.0) for w, x in small.items())
            if score >= floor and score > 0:
                bank_b, b = entries[j]
                pairs.append(Pair(a, bank_a, b, bank_b, round(score, 4)))
    return sorted(pairs, key=lambda p: -p.score)
