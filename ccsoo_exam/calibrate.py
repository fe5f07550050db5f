"""``admin calibrate``: Rasch difficulties from merged results, the file terminals carry, and the report.

Two outputs, kept apart on purpose:

* the calibration file (``calibration.yaml`` beside the exam definition, named by its
  ``assembly: calibration:``): per item the difficulty, SE, infit, outfit and count, and the
  ability cut and mean ability. No candidate data: it travels with the package to terminals.
* the calibration report (JSON, for the administrator only): the same item figures, every
  candidate's ability, SE and fit, and each form's test characteristic curve and raw cut.

Responses are scored with the keys in force (after applied rescorings); a dropped item is left
out of the calibration.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain
from typing import Any

import numpy as np

from ccsoo_exam.bank import Bank
from ccsoo_exam.calibration import CalibratedItem, Calibration, ability_cut_for, raw_cut, scaled_score, tcc
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.item_analysis import KeyedItem, SittingAnswers, score_rows
from ccsoo_exam.rasch import RaschResult, rasch_responses

METHOD = "Rasch JML, bias correction (L-1)/L, extreme scores at 0.3"
TCC_POINTS = tuple(x / 2 for x in range(-8, 9))  # -4 .. 4 logits


@dataclass(frozen=True)
class CalibrationRun:
    calibration: Calibration
    report: dict[str, Any]
    result: RaschResult


def _number(value: float, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


def calibrate(
    definition: ExamDefinition,
    banks: Mapping[str, Bank],
    rows: Iterable[SittingAnswers],
    keys: Mapping[str, KeyedItem],
    accepted: Mapping[str, str],
    *,
    at: str,
    ability_cut: float | None = None,
) -> CalibrationRun:
    letters = {name: item.key for name, item in keys.items()}
    letters.update(accepted)
    scored = score_rows(rows, letters)
    if not scored.sittings:
        raise CcsooError(Problem("results", None, "no submitted sittings for this exam; merge the terminals' files"))
    columns = scored.columns
    dropped = {c for c, name in enumerate(columns) if letters[name] == ""}
    # Long format straight into numpy: 100,000 sittings x 80 never become Python lists of triples.
    lengths = np.fromiter(map(len, scored.positions), dtype=np.int64, count=len(scored.positions))
    total = int(lengths.sum())
    items = np.fromiter(chain.from_iterable(scored.positions), dtype=np.int64, count=total)
    values = np.fromiter(chain.from_iterable(scored.scores), dtype=np.int8, count=total)
    persons = np.repeat(np.arange(len(scored.positions), dtype=np.int64), lengths)
    if dropped:
        keep = ~np.isin(items, np.array(sorted(dropped), dtype=np.int64))
        persons, items, values = persons[keep], items[keep], values[keep]
    try:
        result = rasch_responses(persons, items, values, len(scored.sittings), len(columns))
    except ValueError as exc:
        raise CcsooError(Problem("results", None, f"cannot calibrate: {exc}")) from None
    calibrated = {
        name: c for c, name in enumerate(columns) if c not in dropped and not math.isnan(result.difficulties[c])
    }
    difficulty = {name: Fraction(f"{result.difficulties[c]:.4f}") for name, c in calibrated.items()}
    if ability_cut is None:
        by_module = []
        for entry in definition.blueprint:
            bank = banks[entry.bank]
            values_ = [float(difficulty[f"{bank.id}/{i.id}"]) for i in bank.items if f"{bank.id}/{i.id}" in difficulty]
            by_module.append((values_, entry.items))
        ability_cut = ability_cut_for(by_module, definition.cut_score)
        cut_basis = (
            f"carried over from the raw cut {definition.cut_score} of {definition.item_count} "
            "on the average form of the calibrated banks"
        )
    else:
        cut_basis = "set by the administrator (--ability-cut)"
    abilities = result.abilities[~np.isnan(result.abilities)]
    calibration = Calibration(
        definition.exam,
        METHOD,
        Fraction(f"{ability_cut:.4f}"),
        Fraction(f"{float(abilities.mean()):.4f}"),
        {
            name: CalibratedItem(
                difficulty[name],
                _number(result.difficulty_se[c]),
                _number(result.item_infit[c]),
                _number(result.item_outfit[c]),
                int(result.item_counts[c]),
            )
            for name, c in sorted(calibrated.items())
        },
    )
    cut = float(calibration.ability_cut)
    forms: dict[str, dict[str, Any]] = {}
    persons_out = []
    for p, sitting in enumerate(scored.sittings):
        names = [n for n in sitting.items.split(",") if n in difficulty]
        form_id = hashlib.sha256(sitting.items.encode()).hexdigest()[:16]
        form = forms.get(form_id)
        if form is None:
            bs = [float(difficulty[n]) for n in names]
            curve = (1 / (1 + np.exp(np.array(bs)[:, None] - np.array(TCC_POINTS)[None, :]))).sum(axis=0)
            form = {
                "form": form_id,
                "items": len(bs),
                "sittings": 0,
                "raw_cut": raw_cut(bs, cut),
                "expected_at_cut": round(tcc(bs, cut), 3),
                "tcc": [{"ability": t, "expected": round(float(e), 3)} for t, e in zip(TCC_POINTS, curve, strict=True)],
                "_difficulties": bs,
            }
            forms[form_id] = form
        form["sittings"] += 1
        raw = sum(scored.scores[p])
        persons_out.append(
            {
                "sitting_id": sitting.sitting_id,
                "candidate_id": sitting.candidate_id,
                "form": form_id,
                "raw": raw,
                "ability": _number(result.abilities[p]),
                "se": _number(result.ability_se[p]),
                "infit": _number(result.person_infit[p]),
                "outfit": _number(result.person_outfit[p]),
                "extreme": bool(result.extreme_persons[p]),
                "scaled": scaled_score(form["_difficulties"], raw, cut) if form["_difficulties"] else None,
            }
        )
    for form in forms.values():
        del form["_difficulties"]
    report = {
        "exam": definition.exam,
        "created": at,
        "method": METHOD,
        "candidates": len(scored.sittings),
        "bias_correction": round(result.bias_correction, 5),
        "iterations": result.iterations,
        "ability_cut": float(calibration.ability_cut),
        "ability_cut_basis": cut_basis,
        "mean_ability": float(calibration.mean_ability),
        "items": [
            {
                "item": name,
                "difficulty": float(difficulty[name]),
                "se": _number(result.difficulty_se[c]),
                "infit": _number(result.item_infit[c]),
                "outfit": _number(result.item_outfit[c]),
                "n": int(result.item_counts[c]),
                "extreme": bool(result.extreme_items[c]),
            }
            for name, c in sorted(calibrated.items())
        ],
        "dropped_items": sorted(columns[c] for c in dropped),
        "persons": persons_out,
        "forms": sorted(forms.values(), key=lambda f: f["form"]),
    }
    return CalibrationRun(calibration, report, result)


def calibration_yaml(run: CalibrationRun, at: str) -> str:
    """The calibration file's text (docs/formats.md, 'Calibration file')."""
    c = run.calibration
    lines = [
        "# Rasch calibration written by 'ccsoo-exam admin calibrate'. Not secret; no candidate data.",
        "# Name it in the exam definition (assembly: calibration: FILE) for forms and cuts to use it.",
        "calibration: rasch",
        f"exam: {c.exam}",
        f'method: "{c.method}"',
        f'created: "{at}"',
        f"candidates: {run.report['candidates']}",
        f'ability_cut: "{float(c.ability_cut):.4f}"',
        f'ability_cut_basis: "{run.report["ability_cut_basis"]}"',
        f'mean_ability: "{float(c.mean_ability):.4f}"',
        "items:",
    ]

    def text(value: float | None) -> str:
        return "null" if value is None else f'"{value:.4f}"'

    for name, item in c.items.items():
        lines.append(
            f'  {name}: {{difficulty: "{float(item.difficulty):.4f}", se: {text(item.se)}, '
            f"infit: {text(item.infit)}, outfit: {text(item.outfit)}, n: {item.n}}}"
        )
    return "\n".join(lines) + "\n"
