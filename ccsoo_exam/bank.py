"""Question banks: one module's items, their model and validation.

A bank is authored as YAML (see docs/formats.md) and delivered encrypted. Parsing
returns frozen dataclasses; every schema problem in a file is reported together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

from ccsoo_exam.safeyaml import Mapping, Node, Scalar, load_bytes, load_path
from ccsoo_exam.schema import Checker

LETTERS = ("A", "B", "C", "D", "E")  # every letter an item may use, in order
MIN_OPTIONS, MAX_OPTIONS = 3, 5  # the CCSOO banks keep four; imported banks often have three
# A value `bank import` writes where the source had nothing: validation refuses it until an author fills it in.
PLACEHOLDER = "TODO:"
DIFFICULTIES = ("easy", "medium", "hard")
KINDS = ("scenario", "recall")
BANK_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")

BANK_FIELDS = ("bank", "module", "title", "items")
BANK_OPTIONAL = ("version", "description")
ITEM_FIELDS = ("id", "stem", "options", "key", "rationale", "topic", "difficulty", "source")
ITEM_OPTIONAL = ("kind", "calculation", "enemies")
CALCULATION_FIELDS = ("expression", "value", "shows")


@dataclass(frozen=True)
class Item:
    """One multiple-choice question exactly as authored."""

    id: str
    stem: str
    options: MappingProxyType[str, str]
    key: str
    rationale: str
    topic: str
    difficulty: str
    source: str
    kind: str = "recall"
    calculation: MappingProxyType[str, str] | None = None
    line: int = 0
    # Items (in any bank) that test the same point: form assembly never puts two on one form.
    enemies: tuple[str, ...] = ()

    @property
    def letters(self) -> tuple[str, ...]:
        """This item's option letters, A to the last one it has (3 to 5 of them)."""
        return LETTERS[: len(self.options)]


@dataclass(frozen=True)
class Bank:
    """One module's items, in file order."""

    id: str
    module: int
    title: str
    items: tuple[Item, ...]
    version: str = ""
    path: str = ""

    @cached_property
    def _by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    def item(self, item_id: str) -> Item:
        """The item with this id; every redraw and every score looks items up by id."""
        return self._by_id[item_id]


def load_bank(path: str) -> Bank:
    """Load and validate a plaintext bank file."""
    return parse_bank(load_path(path), path)


def bank_from_bytes(data: bytes, name: str) -> Bank:
    """Validate a bank held in memory (a decrypted bank never goes to disk)."""
    return parse_bank(load_bytes(data, name), name)


def parse_bank(root: Node, path: str) -> Bank:
    check = Checker(path)
    top = check.mapping(root, "a bank file")
    if top is None:
        check.raise_if_any()
        raise AssertionError("unreachable")
    check.fields(top, "the bank", BANK_FIELDS, BANK_OPTIONAL)
    for field in ("module", "title"):
        _refuse_placeholder(check, top, field, "the bank")
    bank_id = check.text(top.get("bank"), "'bank' (the bank id)")
    if bank_id is not None and not BANK_ID.fullmatch(bank_id):
        check.error(top.keys["bank"], "'bank' must be lowercase letters, digits and '-', e.g. ccsoo-m1")
    module = check.integer(top.get("module"), "'module'", 1, 5)
    title = check.text(top.get("title"), "'title'", max_len=200)
    version_node = top.get("version")
    version = check.text(version_node, "'version'", max_len=40) if version_node else ""
    items: list[Item] = []
    seen: dict[str, int] = {}
    items_node = top.get("items")
    entries = check.sequence(items_node, "'items'") if items_node is not None else None
    if entries is not None and not entries.items:
        check.error(entries.line, "'items' is empty; a bank needs at least one item")
    for number, node in enumerate(entries.items if entries else [], start=1):
        item = _parse_item(check, node, number)
        if item is None:
            continue
        if item.id in seen:
            check.error(item.line, f"item id '{item.id}' is used twice (first at line {seen[item.id]})")
            continue
        seen[item.id] = item.line
        items.append(item)
    check.raise_if_any()
    assert bank_id is not None and module is not None and title is not None
    return Bank(bank_id, module, title, tuple(items), version or "", path)


def _parse_item(check: Checker, node: Node, number: int) -> Item | None:
    where = f"item {number}"
    item = check.mapping(node, where)
    if item is None:
        return None
    before = len(check.problems)
    check.fields(item, where, ITEM_FIELDS, ITEM_OPTIONAL)
    item_id = check.text(item.get("id"), f"{where} 'id'", max_len=40)
    if item_id is not None:
        if not ITEM_ID.fullmatch(item_id):
            check.error(item.keys["id"], f"{where} id '{item_id}' may use only letters, digits, '-', '_', '.'")
        where = f"item {item_id}"
    for field in ITEM_FIELDS:
        _refuse_placeholder(check, item, field, where)
    stem = check.text(item.get("stem"), f"{where} 'stem'")
    options = _parse_options(check, item.get("options"), where)
    key = check.choice(item.get("key"), f"{where} 'key'", LETTERS[: len(options)] if options else LETTERS)
    rationale = check.text(item.get("rationale"), f"{where} 'rationale'", max_len=6000)
    topic = check.text(item.get("topic"), f"{where} 'topic'", max_len=80)
    difficulty = check.choice(item.get("difficulty"), f"{where} 'difficulty'", DIFFICULTIES)
    source = check.text(item.get("source"), f"{where} 'source'", max_len=400)
    kind = "recall"
    if item.get("kind") is not None:
        kind = check.choice(item.get("kind"), f"{where} 'kind'", KINDS) or "recall"
    calculation = None
    calc_node = item.get("calculation")
    if calc_node is not None:
        calc = check.mapping(calc_node, f"{where} 'calculation'")
        if calc is not None:
            check.fields(calc, f"{where} 'calculation'", CALCULATION_FIELDS, ("tolerance",))
            values = {k: check.text(v, f"{where} calculation '{k}'") for k, v in calc.entries.items()}
            calculation = MappingProxyType({k: v for k, v in values.items() if v is not None})
    enemies: tuple[str, ...] = ()
    enemies_node = item.get("enemies")
    if enemies_node is not None:
        listed = check.sequence(enemies_node, f"{where} 'enemies'")
        if listed is not None:
            names = [check.text(entry, f"{where} enemy", max_len=40) for entry in listed.items]
            for name, entry in zip(names, listed.items, strict=True):
                if name is not None and not ITEM_ID.fullmatch(name):
                    check.error(entry.line, f"{where} enemy '{name}' is not an item id; write ids such as M2-029")
                elif name is not None and name == item_id:
                    check.error(entry.line, f"{where} lists itself as an enemy; remove it")
            enemies = tuple(n for n in names if n is not None)
    if len(check.problems) > before:
        return None
    assert item_id and stem and options and key and rationale and topic and difficulty and source
    return Item(
        item_id, stem, options, key, rationale, topic, difficulty, source, kind, calculation, item.line, enemies
    )


def _refuse_placeholder(check: Checker, node: Mapping, field: str, where: str) -> None:
    value = node.get(field)
    if isinstance(value, Scalar) and value.value.strip().startswith(PLACEHOLDER):
        check.error(value.line, f"{where} '{field}' is a placeholder from import; fill it in")
        # Drop it so the field's own check does not report the same line a second time.
        del node.entries[field]


def _parse_options(check: Checker, node: Node | None, where: str) -> MappingProxyType[str, str] | None:
    if node is None:
        return None
    options = check.mapping(node, f"{where} 'options'")
    if not isinstance(options, Mapping):
        return None
    found = list(options.entries)
    count = max(MIN_OPTIONS, min(MAX_OPTIONS, len(found)))
    expected = list(LETTERS[:count])
    if sorted(found) != expected:
        extra = [k for k in found if k not in expected]
        missing = [k for k in expected if k not in found]
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing)}")
        if extra:
            detail.append(f"unexpected {', '.join(repr(k) for k in extra)}")
        check.error(
            options.line,
            f"{where} 'options' must have {MIN_OPTIONS} to {MAX_OPTIONS} letters from A with none skipped "
            f"(A-C, A-D or A-E; {'; '.join(detail)})",
        )
        return None
    texts = {
        letter: check.text(options.entries[letter], f"{where} option {letter}", max_len=1000) for letter in expected
    }
    if any(v is None for v in texts.values()):
        return None
    normalised = [" ".join(str(v).lower().split()) for v in texts.values()]
    if len(set(normalised)) < len(normalised):
        check.error(options.line, f"{where} has two options with the same text; each must differ")
        return None
    return MappingProxyType({k: str(v) for k, v in texts.items()})
