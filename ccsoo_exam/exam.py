"""The exam definition: what a sitting is (duration, blueprint, cut score, rules).

It is plain YAML beside the encrypted banks; nothing in it is secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ccsoo_exam.psychometrics.standard import AdoptedStandard, parse_standard
from ccsoo_exam.safeyaml import load_path
from ccsoo_exam.schema import Checker

EXAM_FIELDS = (
    "exam",
    "title",
    "duration_minutes",
    "item_count",
    "blueprint",
    "cut_score",
    "time_warnings",
    "navigation",
    "shuffle_options",
    "show_score",
)
EXAM_OPTIONAL = ("cut_score_basis", "item_order", "instructions", "agreement", "standard", "assembly", "calculator")
ASSEMBLY_FIELDS = ("topics", "difficulty", "exposure_cap", "calibration")
DIFFICULTY_FIELDS = ("target", "tolerance", "labels")
TOPIC_RULES = ("proportional", "none")
DEFAULT_LABELS = (("easy", Fraction(-1)), ("medium", Fraction(0)), ("hard", Fraction(1)))
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
NAVIGATION = ("free", "forward-only")
ITEM_ORDER = ("by-module", "mixed")
CALCULATOR = ("basic", "none")  # the on-screen calculator the candidate may open


@dataclass(frozen=True)
class BlueprintEntry:
    """How many items one bank contributes, and where its encrypted file lives."""

    bank: str
    module: int
    file: str
    items: int
    line: int = 0  # where the entry is written in the exam definition, for messages


@dataclass(frozen=True)
class AssemblyRules:
    """The constraints every form meets beyond the blueprint (the ``assembly:`` section).

    Numbers are exact fractions read from their decimal text, so the bounds a form is held to
    do not depend on how a platform rounds a float.
    """

    topic_quotas: bool = False  # each topic in proportion to its bank, within one item
    difficulty_target: Fraction | None = None  # None: no difficulty constraint
    target_is_bank_mean: bool = False  # the target is each module's bank mean difficulty
    difficulty_tolerance: Fraction = Fraction(0)
    labels: tuple[tuple[str, Fraction], ...] = DEFAULT_LABELS  # author label -> logits, until calibrated
    exposure_cap: Fraction | None = None  # no item on more than this share of forms
    calibration: str = ""  # calibration file beside the exam definition (Rasch difficulties)
    line: int | None = None

    @property
    def has_difficulty(self) -> bool:
        return self.target_is_bank_mean or self.difficulty_target is not None

    def label_value(self, label: str) -> Fraction:
        return dict(self.labels)[label]


@dataclass(frozen=True)
class ExamDefinition:
    exam: str
    title: str
    duration_minutes: int
    item_count: int
    blueprint: tuple[BlueprintEntry, ...]
    cut_score: int
    time_warnings: tuple[int, ...]
    navigation: str
    shuffle_options: bool
    show_score: bool
    item_order: str = "by-module"
    cut_score_basis: str = ""
    instructions: str = ""
    agreement: str = ""
    path: str = ""
    standard: AdoptedStandard | None = None  # the adopted pass standard (psychometrics/standard.py)

    def cut_for(self, items: Iterable[str]) -> int:
        """The raw cut of a form of these items (``bank/item``): by the adopted standard, else ``cut_score``."""
        if self.standard is None:
            return self.cut_score
        return self.standard.form_cut(items)

    assembly: AssemblyRules = field(default_factory=AssemblyRules)
    calculator: str = "none"

    @property
    def directory(self) -> Path:
        return Path(self.path).parent

    def bank_path(self, entry: BlueprintEntry) -> Path:
        return self.directory / entry.file

    @property
    def calibration_path(self) -> Path | None:
        """The calibration file the ``assembly:`` section names, beside the exam definition."""
        return self.directory / self.assembly.calibration if self.assembly.calibration else None


def load_exam(path: str) -> ExamDefinition:
    check = Checker(path)
    top = check.mapping(load_path(path), "an exam definition")
    check.raise_if_any()
    assert top is not None
    check.fields(top, "the exam definition", EXAM_FIELDS, EXAM_OPTIONAL)
    exam_id = check.text(top.get("exam"), "'exam' (the exam id)", max_len=60)
    if exam_id and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", exam_id):
        check.error(top.keys["exam"], "'exam' must be lowercase letters, digits and '-'")
    title = check.text(top.get("title"), "'title'", max_len=200)
    duration = check.integer(top.get("duration_minutes"), "'duration_minutes'", 1, 24 * 60)
    count = check.integer(top.get("item_count"), "'item_count'", 1, 1000)
    cut = check.integer(top.get("cut_score"), "'cut_score' (items correct to pass)", 0, 1000)
    navigation = check.choice(top.get("navigation"), "'navigation'", NAVIGATION)
    shuffle = check.boolean(top.get("shuffle_options"), "'shuffle_options'")
    show = check.boolean(top.get("show_score"), "'show_score'")
    order = "by-module"
    if top.get("item_order") is not None:
        order = check.choice(top.get("item_order"), "'item_order'", ITEM_ORDER) or order
    calculator = "none"
    if top.get("calculator") is not None:
        calculator = check.choice(top.get("calculator"), "'calculator'", CALCULATOR) or calculator
    warnings: list[int] = []
    warn_node = top.get("time_warnings")
    if warn_node is not None and (seq := check.sequence(warn_node, "'time_warnings'")):
        for node in seq.items:
            minutes = check.integer(node, "a time warning (minutes left)", 1, 24 * 60)
            if minutes is not None:
                warnings.append(minutes)
    entries: list[BlueprintEntry] = []
    bp_node = top.get("blueprint")
    if bp_node is not None and (seq := check.sequence(bp_node, "'blueprint'")):
        for number, node in enumerate(seq.items, start=1):
            entry = check.mapping(node, f"blueprint entry {number}")
            if entry is None:
                continue
            check.fields(entry, f"blueprint entry {number}", ("bank", "module", "file", "items"))
            bank = check.text(entry.get("bank"), f"blueprint entry {number} 'bank'")
            module = check.integer(entry.get("module"), f"blueprint entry {number} 'module'", 1, 5)
            file = check.text(entry.get("file"), f"blueprint entry {number} 'file'")
            items = check.integer(entry.get("items"), f"blueprint entry {number} 'items'", 1, 1000)
            if file and (Path(file).is_absolute() or ".." in Path(file).parts):
                check.error(entry.line, f"blueprint entry {number} 'file' must be a name beside exam.yaml")
                file = None
            if bank and module and file and items:
                if any(e.bank == bank for e in entries):
                    check.error(entry.line, f"bank '{bank}' appears twice in the blueprint")
                entries.append(BlueprintEntry(bank, module, file, items, entry.line))
        if not seq.items:
            check.error(seq.line, "'blueprint' is empty; list the banks and items drawn from each")
    if count is not None and entries and sum(e.items for e in entries) != count:
        check.error(
            top.keys.get("blueprint"),
            f"the blueprint draws {sum(e.items for e in entries)} items but 'item_count' is {count}; make them agree",
        )
    if cut is not None and count is not None and cut > count:
        check.error(top.keys.get("cut_score"), f"'cut_score' {cut} is more than the {count} items")
    if duration is not None and any(w >= duration for w in warnings):
        check.error(top.keys.get("time_warnings"), "each time warning must be fewer minutes than the duration")

    def optional_text(field: str) -> str:
        node = top.get(field)
        return (check.text(node, f"'{field}'", max_len=8000) or "") if node is not None else ""

    basis, instructions, agreement = (optional_text(f) for f in ("cut_score_basis", "instructions", "agreement"))
    standard = parse_standard(check, top.get("standard")) if top.get("standard") is not None else None
    assembly = _parse_assembly(check, top.get("assembly")) if top.get("assembly") is not None else AssemblyRules()
    check.raise_if_any()
    assert exam_id and title and duration and count and cut is not None and navigation
    assert shuffle is not None and show is not None
    return ExamDefinition(
        exam_id,
        title,
        duration,
        count,
        tuple(entries),
        cut,
        tuple(sorted(set(warnings), reverse=True)),
        navigation,
        shuffle,
        show,
        order,
        basis,
        instructions,
        agreement,
        path,
        standard,
        assembly,
        calculator=calculator,
    )


def _exact(check: Checker, node: object, where: str, low: Fraction, high: Fraction) -> Fraction | None:
    raw = check.text(node, where)  # type: ignore[arg-type]
    if raw is None:
        return None
    if not _DECIMAL.fullmatch(raw):
        check.error(getattr(node, "line", None), f"{where} must be a decimal number, not '{raw}'")
        return None
    value = Fraction(raw)
    if not low <= value <= high:
        check.error(getattr(node, "line", None), f"{where} must be between {low} and {high}, not {raw}")
        return None
    return value


def _parse_assembly(check: Checker, node: object) -> AssemblyRules:
    section = check.mapping(node, "'assembly'")  # type: ignore[arg-type]
    if section is None:
        return AssemblyRules()
    check.fields(section, "'assembly'", (), ASSEMBLY_FIELDS)
    topics = True
    if section.get("topics") is not None:
        topics = check.choice(section.get("topics"), "'assembly: topics'", TOPIC_RULES) != "none"
    target: Fraction | None = None
    bank_mean = False
    tolerance = Fraction(0)
    labels = DEFAULT_LABELS
    difficulty_node = section.get("difficulty")
    if difficulty_node is not None and (difficulty := check.mapping(difficulty_node, "'assembly: difficulty'")):
        check.fields(difficulty, "'assembly: difficulty'", ("target", "tolerance"), ("labels",))
        target_node = difficulty.get("target")
        if target_node is not None and getattr(target_node, "value", None) == "bank":
            bank_mean = True
        elif target_node is not None:
            target = _exact(
                check, target_node, "'assembly: difficulty: target' (logits, or 'bank')", -Fraction(6), Fraction(6)
            )
        if difficulty.get("tolerance") is not None:
            tolerance = _exact(
                check,
                difficulty.get("tolerance"),
                "'assembly: difficulty: tolerance' (logits)",
                Fraction(0),
                Fraction(6),
            ) or Fraction(0)
        labels_node = difficulty.get("labels")
        if labels_node is not None and (mapping := check.mapping(labels_node, "'assembly: difficulty: labels'")):
            check.fields(mapping, "'assembly: difficulty: labels'", ("easy", "medium", "hard"))
            values = [
                _exact(check, mapping.get(label), f"'assembly: difficulty: labels: {label}'", -Fraction(6), Fraction(6))
                for label in ("easy", "medium", "hard")
            ]
            if all(v is not None for v in values):
                labels = tuple(zip(("easy", "medium", "hard"), values, strict=True))  # type: ignore[assignment]
    cap = None
    if section.get("exposure_cap") is not None:
        cap = _exact(
            check, section.get("exposure_cap"), "'assembly: exposure_cap' (share of forms)", Fraction(0), Fraction(1)
        )
        if cap == 0:
            check.error(section.keys.get("exposure_cap"), "'assembly: exposure_cap' must be above 0")
    calibration = ""
    if section.get("calibration") is not None:
        calibration = check.text(section.get("calibration"), "'assembly: calibration'", max_len=200) or ""
        if calibration and (Path(calibration).is_absolute() or ".." in Path(calibration).parts):
            check.error(section.keys.get("calibration"), "'assembly: calibration' must be a file name beside exam.yaml")
            calibration = ""
    return AssemblyRules(topics, target, bank_mean, tolerance, labels, cap, calibration, section.line)
