"""Form assembly: the items and option orders one candidate sees, rebuilt from a seed.

Selection and ordering use SHA-256 of (seed, bank, item, letter) rather than Python's
``random``, whose algorithms may change between versions: a form recorded today must
rebuild identically years later, on any interpreter, when a result is challenged.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ccsoo_exam.bank import LETTERS, Bank
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import ExamDefinition


@dataclass(frozen=True)
class FormItem:
    position: int
    bank: str
    module: int
    item_id: str
    option_order: tuple[str, ...]  # the item's own authored letters (3-5), in the order shown as A, B, C, ...

    def authored(self, shown: str) -> str:
        """The authored letter behind the letter the candidate saw."""
        return self.option_order[LETTERS.index(shown)]

    def shown(self, authored: str) -> str:
        return LETTERS[self.option_order.index(authored)]


@dataclass(frozen=True)
class Form:
    seed: int
    items: tuple[FormItem, ...]

    @property
    def digest(self) -> str:
        """Fingerprint of the whole form, recorded with the sitting for audit."""
        text = "|".join(f"{i.bank}/{i.item_id}/{''.join(i.option_order)}" for i in self.items)
        return hashlib.sha256(f"{self.seed}|{text}".encode()).hexdigest()[:16]


def new_seed() -> int:
    return int.from_bytes(os.urandom(8), "big") >> 2  # 62 bits


def _rank(*parts: object) -> bytes:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()


def assemble_form(definition: ExamDefinition, banks: Mapping[str, Bank], seed: int) -> Form:
    """Draw each blueprint share from its bank and order items and options by the seed."""
    problems = []
    drawn: list[tuple[str, int, str]] = []
    for entry in definition.blueprint:
        bank = banks.get(entry.bank)
        if bank is None:
            problems.append(Problem(definition.path, None, f"bank '{entry.bank}' is not in the package"))
            continue
        if len(bank.items) < entry.items:
            problems.append(
                Problem(
                    definition.path,
                    None,
                    f"bank '{entry.bank}' has {len(bank.items)} items but the blueprint draws {entry.items}; "
                    "add items or lower the share",
                )
            )
            continue
        chosen = sorted(bank.items, key=lambda item: _rank(seed, "pick", bank.id, item.id))[: entry.items]
        drawn.extend((bank.id, bank.module, item.id) for item in chosen)
    if problems:
        raise CcsooError(problems)
    if definition.item_order == "mixed":
        drawn.sort(key=lambda d: _rank(seed, "order", d[0], d[2]))
    items = []
    for position, (bank_id, module, item_id) in enumerate(drawn):
        own = banks[bank_id].item(item_id).letters  # an item has 3 to 5 options; shuffle only its own
        order: tuple[str, ...] = own
        if definition.shuffle_options:
            order = tuple(sorted(own, key=lambda letter: _rank(seed, "option", bank_id, item_id, letter)))
        items.append(FormItem(position, bank_id, module, item_id, tuple(order)))
    return Form(seed, tuple(items))
