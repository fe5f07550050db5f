"""The exam definition: what a sitting is (duration, blueprint, cut score, rules).

It is plain YAML beside the encrypted banks; nothing in it is secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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
EXAM_OPTIONAL = ("cut_score_basis", "item_order", "instructions", "agreement", "calculator")
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
    calculator: str = "none"

    @property
    def directory(self) -> Path:
        return Path(self.path).parent

    def bank_path(self, entry: BlueprintEntry) -> Path:
        return self.directory / entry.file


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
                entries.append(BlueprintEntry(bank, module, file, items))
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
        calculator=calculator,
    )
