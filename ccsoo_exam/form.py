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
from typing import TYPE_CHECKING

from ccsoo_exam.bank import LETTERS, Bank
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import ExamDefinition

if TYPE_CHECKING:  # numpy and scipy load when a form is assembled, not when the exam starts
    from ccsoo_exam.assembly import FormModel
    from ccsoo_exam.calibration import Calibration


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


def assemble_form(
    definition: ExamDefinition,
    banks: Mapping[str, Bank],
    seed: int,
    calibration: Calibration | None = None,
    *,
    model: FormModel | None = None,
) -> Form:
    """The seed's form: items chosen under the blueprint and the ``assembly:`` constraints, then ordered.

    Selection is the MIP of ``ccsoo_exam.assembly`` (unique for the seed's weights); order and
    option orders are SHA-256 ranks of the seed, as they always were. Pass ``model`` to reuse
    one built for many forms; ``calibration`` defaults to the file the definition names.
    """
    if model is None:
        model = form_model(definition, banks, calibration)
    chosen = set(model.select(seed))
    picked: dict[str, list[str]] = {}
    for index, slot in enumerate(model.slots):
        if index in chosen:
            picked.setdefault(slot.bank, []).append(slot.item_id)
    drawn: list[tuple[str, int, str]] = []
    for entry in definition.blueprint:
        mine = sorted(picked.get(entry.bank, []), key=lambda item_id: _rank(seed, "pick", entry.bank, item_id))
        drawn.extend((entry.bank, entry.module, item_id) for item_id in mine)
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


def form_model(
    definition: ExamDefinition, banks: Mapping[str, Bank], calibration: Calibration | None = None
) -> FormModel:
    """The assembly model of this definition over these banks (loads the named calibration file)."""
    from ccsoo_exam.assembly import FormModel
    from ccsoo_exam.calibration import load_calibration

    if calibration is None and definition.calibration_path is not None:
        calibration = load_calibration(definition.calibration_path)
    return FormModel(definition, banks, calibration)


def sitting_form(definition: ExamDefinition, banks: Mapping[str, Bank], seed: int) -> tuple[Form, int]:
    """A new sitting's form and its raw cut: the form's own once the items are calibrated.

    With a calibration, the cut is the least raw score reaching the expected score at the
    ability cut on this form's test characteristic curve; before, the definition's cut_score.
    """
    from ccsoo_exam.calibration import form_difficulties, load_calibration, raw_cut

    calibration = load_calibration(definition.calibration_path) if definition.calibration_path else None
    form = assemble_form(definition, banks, seed, calibration)
    if calibration is None:
        return form, definition.cut_score
    labels = dict(definition.assembly.labels)
    difficulties = form_difficulties(banks, [(i.bank, i.item_id) for i in form.items], calibration, labels)
    return form, raw_cut(difficulties, float(calibration.ability_cut))


def rebuild_form(
    definition: ExamDefinition,
    banks: Mapping[str, Bank],
    seed: int,
    digest: str,
    calibration: Calibration | None = None,
) -> Form:
    """Rebuild a recorded form from its seed and check it against the digest recorded with it."""
    form = assemble_form(definition, banks, seed, calibration)
    if form.digest != digest:
        raise CcsooError(
            Problem(
                definition.path,
                None,
                f"seed {seed} rebuilds form {form.digest}, not the recorded {digest}; "
                "use the package, exam definition and calibration the sitting used",
            )
        )
    return form
