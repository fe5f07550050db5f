"""Calibrated (Rasch) item difficulties as delivery terminals carry them, and what follows from them.

``admin calibrate`` writes a calibration file beside the exam definition; the definition names
it (``assembly: calibration: calibration.yaml``) and the package carries it to the terminals,
which never see the admin database. It holds no candidate data: per item the difficulty, its
standard error and fit, and for the exam the cut on the ability scale and the mean ability.

From it, per form:

* the test characteristic curve ``TCC(theta) = sum_i P(theta, b_i)``, the expected raw score;
* the raw cut: the smallest raw score at or above ``TCC(theta_cut)``, so one ability cut
  demands the same standard on every form, easy or hard;
* the scaled score: ``500 + 100 * (theta_hat - theta_cut)``, rounded and held to 100..900, where
  ``theta_hat`` is the ability whose expected score on this form is the raw score (a raw score of
  0 or of every item counts as 0.3 or L - 0.3, since the estimate would be infinite). Pass is 500;
  a raw score below the form's raw cut never shows 500 or more, one at or above never less.

Pure: no SQLite, no Textual; numbers are read from their decimal text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.safeyaml import load_path
from ccsoo_exam.schema import Checker

SCALE_LOW, SCALE_HIGH, SCALE_PASS, SCALE_PER_LOGIT = 100, 900, 500, 100
EXTREME_ADJUSTMENT = 0.3  # score points: raw 0 counts as 0.3, a full score as L - 0.3
FILE_FIELDS = ("calibration", "exam", "method", "ability_cut", "mean_ability", "items")
FILE_OPTIONAL = ("created", "candidates", "ability_cut_basis")
ITEM_FIELDS = ("difficulty",)
ITEM_OPTIONAL = ("se", "infit", "outfit", "n", "extreme")


@dataclass(frozen=True)
class CalibratedItem:
    difficulty: Fraction  # logits, centred on the calibrated items' mean
    se: float | None = None
    infit: float | None = None
    outfit: float | None = None
    n: int | None = None


@dataclass(frozen=True)
class Calibration:
    exam: str
    method: str
    ability_cut: Fraction  # the cut on the ability (logit) scale, one for every form
    mean_ability: Fraction  # the calibration sample's mean ability: "a candidate of average ability"
    items: Mapping[str, CalibratedItem]  # "bank/item" -> calibration
    path: str = ""

    def difficulty(self, bank: str, item_id: str) -> Fraction | None:
        found = self.items.get(f"{bank}/{item_id}")
        return found.difficulty if found else None


def load_calibration(path: str | Path) -> Calibration:
    """Read and check a calibration file; every problem is reported at its line."""
    name = str(path)
    if not Path(path).is_file():
        raise CcsooError(
            Problem(name, None, "calibration file not found; run 'ccsoo-exam admin calibrate' or fix the name")
        )
    check = Checker(name)
    top = check.mapping(load_path(path), "a calibration file")
    check.raise_if_any()
    assert top is not None
    check.fields(top, "the calibration file", FILE_FIELDS, FILE_OPTIONAL)
    kind = check.text(top.get("calibration"), "'calibration'")
    if kind is not None and kind != "rasch":
        check.error(top.keys.get("calibration"), f"'calibration' must be 'rasch', not '{kind}'")
    exam = check.text(top.get("exam"), "'exam'") or ""
    method = check.text(top.get("method"), "'method'") or ""
    cut = _decimal(check, top.get("ability_cut"), "'ability_cut' (logits)")
    mean = _decimal(check, top.get("mean_ability"), "'mean_ability' (logits)")
    items: dict[str, CalibratedItem] = {}
    node = top.get("items")
    section = check.mapping(node, "'items'") if node is not None else None
    for name_, item_node in section.entries.items() if section else []:
        entry = check.mapping(item_node, f"item {name_}")
        if entry is None:
            continue
        check.fields(entry, f"item {name_}", ITEM_FIELDS, ITEM_OPTIONAL)
        difficulty = _decimal(check, entry.get("difficulty"), f"item {name_} 'difficulty'")
        if difficulty is None:
            continue
        if "/" not in name_:
            check.error(entry.line, f"item '{name_}' must be written bank/item, e.g. ccsoo-m1/M1-001")
            continue
        extras = {k: _optional_float(check, entry.get(k), f"item {name_} '{k}'") for k in ("se", "infit", "outfit")}
        n_node = entry.get("n")
        n = check.integer(n_node, f"item {name_} 'n'", 0, 10**9) if n_node is not None else None
        items[name_] = CalibratedItem(difficulty, extras["se"], extras["infit"], extras["outfit"], n)
    check.raise_if_any()
    assert cut is not None and mean is not None
    return Calibration(exam, method, cut, mean, items, name)


def _decimal(check: Checker, node: object, where: str) -> Fraction | None:
    raw = check.text(node, where)  # type: ignore[arg-type]
    if raw is None:
        if node is None:
            check.error(None, f"{where} is missing")
        return None
    try:
        value = Fraction(raw)
    except ValueError:
        check.error(getattr(node, "line", None), f"{where} must be a decimal number, not '{raw}'")
        return None
    if abs(value) > 20:
        check.error(getattr(node, "line", None), f"{where} is {raw} logits; a calibration stays within +-20")
        return None
    return value


def _optional_float(check: Checker, node: object, where: str) -> float | None:
    if node is None or getattr(node, "value", None) in ("null", "~", ""):
        return None
    value = _decimal(check, node, where)
    return None if value is None else float(value)


# --- what a calibration gives each form -----------------------------------------------------


def form_difficulties(
    banks: Mapping[str, object],
    items: Iterable[tuple[str, str]],
    calibration: Calibration,
    labels: Mapping[str, Fraction],
) -> list[float]:
    """Difficulties of a form's (bank, item) pairs: calibrated, else the author label's logits."""
    values = []
    for bank_id, item_id in items:
        value = calibration.difficulty(bank_id, item_id)
        if value is None:
            value = labels[banks[bank_id].item(item_id).difficulty]  # type: ignore[attr-defined]
        values.append(float(value))
    return values


def probability(theta: float, difficulty: float) -> float:
    return 1.0 / (1.0 + math.exp(difficulty - theta))


def tcc(difficulties: Sequence[float], theta: float) -> float:
    """The form's test characteristic curve at ``theta``: the expected raw score."""
    return math.fsum(probability(theta, b) for b in difficulties)


def raw_cut(difficulties: Sequence[float], ability_cut: float) -> int:
    """The form's raw cut: the least raw score reaching the expected score at the ability cut."""
    expected = tcc(difficulties, ability_cut)
    return min(len(difficulties), math.ceil(expected - 1e-9))


def ability_for_raw(difficulties: Sequence[float], raw: float) -> float:
    """The ability whose expected score on this form is ``raw`` (extremes adjusted by 0.3).

    Newton's method inside a bracket that always holds the root (the TCC is increasing), so it
    converges in a handful of steps and can never run away.
    """
    count = len(difficulties)
    target = min(max(raw, EXTREME_ADJUSTMENT), count - EXTREME_ADJUSTMENT)
    low, high = min(difficulties) - 12.0, max(difficulties) + 12.0
    theta = math.log(target / (count - target)) + math.fsum(difficulties) / count
    for _ in range(100):
        if not low < theta < high:
            theta = (low + high) / 2
        probabilities = [probability(theta, b) for b in difficulties]
        gap = math.fsum(probabilities) - target
        if gap < 0:
            low = theta
        else:
            high = theta
        information = math.fsum(p * (1 - p) for p in probabilities)
        step = gap / information if information > 0 else 0.0
        theta -= step
        if abs(step) < 1e-10 or high - low < 1e-10:
            break
    return theta


def scaled_score(difficulties: Sequence[float], raw: int, ability_cut: float) -> int:
    """The scaled score (100-900, pass at 500) of a raw score on a form with these difficulties."""
    theta = ability_for_raw(difficulties, raw)
    value = round(SCALE_PASS + SCALE_PER_LOGIT * (theta - ability_cut))
    # Rounding must not move anyone across the pass line: the raw cut decides, the scale follows.
    passed = raw >= raw_cut(difficulties, ability_cut)
    value = max(value, SCALE_PASS) if passed else min(value, SCALE_PASS - 1)
    return max(SCALE_LOW, min(SCALE_HIGH, value))


def ability_cut_for(difficulties_by_module: Iterable[tuple[Sequence[float], int]], raw: float) -> float:
    """The ability at which the average form (each bank weighted by its draw) expects ``raw``.

    Used once, to carry a raw cut set on the old scale onto the ability scale.
    """
    parts = [(list(d), n) for d, n in difficulties_by_module]

    def expected(theta: float) -> float:
        return math.fsum(n * tcc(d, theta) / len(d) for d, n in parts if d)

    low, high = -15.0, 15.0
    for _ in range(200):
        middle = (low + high) / 2
        if expected(middle) < raw:
            low = middle
        else:
            high = middle
    return (low + high) / 2
