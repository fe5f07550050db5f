"""The adopted pass standard: the ``standard:`` section of the exam definition and each form's cut.

A modified-Angoff standard gives every item the judges' mean rating: the probability that a
minimally competent candidate answers it correctly. A form's cut is the sum of the ratings of
the items on it, so a harder form asks for fewer items correct and every form demands the same
standard. The raw cut is that sum made a whole number by the recorded rounding rule:

* ``up`` (the default): the smallest whole number of items at or above the sum, i.e. a candidate
  passes when their raw score reaches the minimally competent candidate's expected score;
* ``nearest``: the sum rounded half up.

The sum is first rounded to 6 decimals so that floating-point noise (55.000000001) never adds a
point. Items without a rating (not rated, or added to the bank later) count the mean rating of
their module, else of all rated items; ``missing`` says so in the report. An item dropped after
a key challenge is not scored, so it contributes nothing to the cut either.

Stdlib only: the delivery path (receipt) imports this module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ccsoo_exam.safeyaml import Node
from ccsoo_exam.schema import Checker

METHODS = ("modified-angoff",)
ROUNDING = ("up", "nearest")
STANDARD_FIELDS = ("method", "adopted", "adopted_by", "cut", "rounding", "ratings")
STANDARD_OPTIONAL = ("round", "judges", "cut_se", "basis")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class AdoptedStandard:
    """The standard recorded in the exam definition (``standard:``)."""

    method: str
    adopted: str  # ISO date
    adopted_by: str
    cut: float  # expected raw cut of a blueprint form (sum over modules of items drawn x mean rating)
    rounding: str
    ratings: Mapping[str, float] = field(default_factory=dict)  # "bank/item" -> mean rating (0-1)
    round: int = 0
    judges: int = 0
    cut_se: float = math.nan
    basis: str = ""

    def form_cut_exact(self, items: Iterable[str]) -> float:
        """Sum of the ratings of these items (``bank/item``), unrated ones at their module's mean."""
        return sum(self.rating(name) for name in items)

    def rating(self, name: str) -> float:
        value = self.ratings.get(name)
        if value is not None:
            return value
        bank = name.split("/", 1)[0]
        same = [v for k, v in self.ratings.items() if k.split("/", 1)[0] == bank]
        pool = same or list(self.ratings.values())
        return sum(pool) / len(pool) if pool else 0.0

    def form_cut(self, items: Iterable[str]) -> int:
        """The raw cut of a form: its items' rating sum made whole by the rounding rule."""
        return whole_cut(self.form_cut_exact(items), self.rounding)


def whole_cut(exact: float, rounding: str = "up") -> int:
    value = round(exact, 6)
    if rounding == "nearest":
        return math.floor(value + 0.5)
    return math.ceil(value)


def parse_standard(check: Checker, node: Node | None) -> AdoptedStandard | None:
    """The ``standard:`` section, or None (problems go to ``check``)."""
    top = check.mapping(node, "'standard'")
    if top is None:
        return None
    check.fields(top, "'standard'", STANDARD_FIELDS, STANDARD_OPTIONAL)
    method = check.choice(top.get("method"), "'standard' 'method'", METHODS)
    adopted = check.text(top.get("adopted"), "'standard' 'adopted' (date)")
    if adopted and not _DATE.fullmatch(adopted):
        check.error(top.keys.get("adopted"), "'standard' 'adopted' must be a date written YYYY-MM-DD")
        adopted = None
    by = check.text(top.get("adopted_by"), "'standard' 'adopted_by'", max_len=200)
    cut = check.number(top.get("cut"), "'standard' 'cut'", 0, 1000)
    rounding = check.choice(top.get("rounding"), "'standard' 'rounding'", ROUNDING)
    rnd = check.integer(top.get("round"), "'standard' 'round'", 1, 99) if top.get("round") is not None else 0
    judges = check.integer(top.get("judges"), "'standard' 'judges'", 1, 1000) if top.get("judges") is not None else 0
    se = check.number(top.get("cut_se"), "'standard' 'cut_se'", 0, 1000) if top.get("cut_se") is not None else None
    basis = (check.text(top.get("basis"), "'standard' 'basis'", max_len=8000) or "") if top.get("basis") else ""
    ratings: dict[str, float] = {}
    rnode = top.get("ratings")
    if rnode is not None and (rmap := check.mapping(rnode, "'standard' 'ratings'")) is not None:
        for name, value in rmap.entries.items():
            if "/" not in name:
                check.error(rmap.keys[name], f"rating key '{name}' must be written bank/item")
                continue
            number = check.number(value, f"the rating of {name}", 0, 1)
            if number is not None:
                ratings[name] = number
        if not rmap.entries:
            check.error(rmap.line, "'standard' 'ratings' is empty; adopt a standard with 'ccsoo-exam standard adopt'")
    if not (method and adopted and by and cut is not None and rounding and ratings):
        return None
    return AdoptedStandard(
        method, adopted, by, cut, rounding, ratings, rnd or 0, judges or 0, math.nan if se is None else se, basis
    )


def standard_yaml(standard: AdoptedStandard) -> str:
    """The ``standard:`` section as YAML text (every value quoted or numeric, keys sorted)."""
    lines = [
        "standard:",
        f"  method: {standard.method}",
        f'  adopted: "{standard.adopted}"',
        f"  adopted_by: {_quote(standard.adopted_by)}",
        f"  round: {standard.round}" if standard.round else "",
        f"  judges: {standard.judges}" if standard.judges else "",
        f"  cut: {standard.cut:.2f}",
        "" if math.isnan(standard.cut_se) else f"  cut_se: {standard.cut_se:.2f}",
        f"  rounding: {standard.rounding}",
        f"  basis: {_quote(standard.basis)}" if standard.basis else "",
        "  ratings:",
        *(f"    {_quote(name)}: {value:.4f}" for name, value in sorted(standard.ratings.items())),
    ]
    return "\n".join(line for line in lines if line) + "\n"


def _quote(text: str) -> str:
    clean = " ".join(text.split())
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


_TOP_KEY = re.compile(r"^[^\s#-][^:]*:")


def replace_section(text: str, section: str, key: str = "standard") -> str:
    """``text`` with its top-level ``key:`` block replaced by ``section`` (appended when absent).

    Only that block changes: every other line, comment and blank line stays byte for byte. The
    block runs from the ``key:`` line to the next top-level key (a line starting in column 0 that
    is not a comment, blank or list item); comments directly above the next key stay with it.
    """
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(rf"^{re.escape(key)}\s*:", line)), None)
    if start is None:
        body = text if not text or text.endswith("\n") else text + "\n"
        return body + section
    end = start + 1
    while end < len(lines) and not _TOP_KEY.match(lines[end]):
        end += 1
    # Leave blank lines and comments that belong to the following key where they are.
    while end - 1 > start and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return "".join(lines[:start]) + section + "".join(lines[end:])
