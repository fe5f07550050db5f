"""Checking parsed YAML against a file format, collecting every problem in one pass.

Authors fix a file faster when they see all of its problems at once, each at its line,
with the nearest known field name when a key looks like a typo.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.safeyaml import Mapping, Node, Scalar, Sequence

_INT = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class Checker:
    """Accumulates problems for one file; each method returns None when a value is bad."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def error(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise CcsooError(sorted(self.problems, key=lambda p: p.line or 0))

    def mapping(self, node: Node | None, where: str) -> Mapping | None:
        if isinstance(node, Mapping):
            return node
        self.error(_line(node), f"{where} must be a mapping of 'field: value' lines")
        return None

    def sequence(self, node: Node | None, where: str) -> Sequence | None:
        if isinstance(node, Sequence):
            return node
        self.error(_line(node), f"{where} must be a list ('- ' entries)")
        return None

    def fields(self, node: Mapping, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> None:
        """Report missing required fields and unknown ones (with a suggestion)."""
        required = list(required)
        known = required + list(optional)
        for key, line in node.keys.items():
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(known)}"
                self.error(line, f"unknown field '{key}' in {where}; {hint}")
        for key in required:
            if key not in node.entries:
                self.error(node.line, f"{where} is missing required field '{key}'")

    def text(self, node: Node | None, where: str, *, max_len: int = 4000) -> str | None:
        if node is None:
            return None
        if not isinstance(node, Scalar):
            self.error(node.line, f"{where} must be text, not a list or mapping")
            return None
        value = node.value.strip()
        if not value:
            self.error(node.line, f"{where} is empty; write the text")
            return None
        if len(value) > max_len:
            self.error(node.line, f"{where} is {len(value)} characters; keep it under {max_len}")
            return None
        return value

    def integer(self, node: Node | None, where: str, low: int, high: int) -> int | None:
        raw = self.text(node, where)
        if raw is None:
            return None
        if not _INT.fullmatch(raw):
            self.error(_line(node), f"{where} must be a whole number, not '{raw}'")
            return None
        value = int(raw)
        if not low <= value <= high:
            self.error(_line(node), f"{where} must be between {low} and {high}, not {value}")
            return None
        return value

    def number(self, node: Node | None, where: str, low: float, high: float) -> float | None:
        raw = self.text(node, where)
        if raw is None:
            return None
        if not _NUMBER.fullmatch(raw):
            self.error(_line(node), f"{where} must be a number, not '{raw}'")
            return None
        value = float(raw)
        if not low <= value <= high:
            self.error(_line(node), f"{where} must be between {low:g} and {high:g}, not {raw}")
            return None
        return value

    def choice(self, node: Node | None, where: str, choices: Iterable[str]) -> str | None:
        raw = self.text(node, where)
        if raw is None:
            return None
        options = list(choices)
        if raw not in options:
            close = difflib.get_close_matches(raw, options, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else ""
            self.error(_line(node), f"{where} must be one of {', '.join(options)}, not '{raw}' {hint}".rstrip())
            return None
        return raw

    def boolean(self, node: Node | None, where: str) -> bool | None:
        value = self.choice(node, where, ["true", "false"])
        return None if value is None else value == "true"


def _line(node: Node | None) -> int | None:
    return node.line if node is not None else None
