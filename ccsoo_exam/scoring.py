"""Scoring a submitted sitting against the keys held in memory.

The terminal's database holds responses as authored letters, never the key; the score
is computed here at submission, from the decrypted banks, and only the result is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ccsoo_exam.bank import Bank
from ccsoo_exam.form import Form


@dataclass(frozen=True)
class Score:
    raw: int
    total: int
    percent: float
    by_module: dict[int, tuple[int, int]]  # module -> (correct, items)
    passed: bool
    scaled: int | None = None  # 100-900, pass at 500, when the items are calibrated (ccsoo_exam.calibration)


def score(
    form: Form,
    banks: Mapping[str, Bank],
    answers: Mapping[int, str | None],
    cut_score: int,
    scale: tuple[Sequence[float], float] | None = None,
) -> Score:
    """Score answers keyed by form position, each an authored letter (or None).

    ``scale`` is (the form's item difficulties in position order, the ability cut): with it the
    score carries its scaled score, and the pass follows the form's raw cut as before.
    """
    by_module: dict[int, list[int]] = {}
    raw = 0
    for entry in form.items:
        item = banks[entry.bank].item(entry.item_id)
        correct = answers.get(entry.position) == item.key
        raw += correct
        tally = by_module.setdefault(entry.module, [0, 0])
        tally[0] += correct
        tally[1] += 1
    total = len(form.items)
    scaled = None
    if scale is not None:
        from ccsoo_exam.calibration import scaled_score

        scaled = scaled_score(scale[0], raw, scale[1])
    return Score(
        raw=raw,
        total=total,
        percent=round(100.0 * raw / total, 2) if total else 0.0,
        by_module={m: (c, n) for m, (c, n) in sorted(by_module.items())},
        passed=raw >= cut_score,
        scaled=scaled,
    )
