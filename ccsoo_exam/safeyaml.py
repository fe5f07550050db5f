"""Hostile-input YAML loading.

Bank, exam and rubric files come from outside, so the loader trusts nothing: the size is
capped before reading, input must be UTF-8, and the document is built from parser
*events* rather than by PyYAML's composer. Building it ourselves lets us stop at a depth
limit before anything recursive runs (the C composer overflows the C stack on deeply
nested input), refuse anchors, aliases and tags outright (alias bombs, python/object
tags), reject duplicate keys, and keep every scalar as the exact text written, so YAML
1.1 never turns an option reading ``no`` into False or ``010`` into 8. No scalar may hold
terminal control or invisible format characters (``text.py``), whatever escape wrote it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import yaml

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.inputs import read_input
from ccsoo_exam.text import text_problem, unsafe_character

try:  # libyaml's parser is iterative and fast; only its composer is unsafe.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - wheels without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32


@dataclass(frozen=True)
class Scalar:
    value: str
    line: int


@dataclass(frozen=True)
class Sequence:
    items: list[Node]
    line: int


@dataclass(frozen=True)
class Mapping:
    """A mapping in file order; ``keys`` keeps each key's own line for messages."""

    entries: dict[str, Node]
    keys: dict[str, int]
    line: int

    def get(self, key: str) -> Node | None:
        return self.entries.get(key)


Node = Scalar | Sequence | Mapping


@dataclass
class _Frame:
    node: Mapping | Sequence
    pending_key: Scalar | None = None


def load_path(path: str | os.PathLike[str], max_bytes: int = MAX_BYTES) -> Node:
    """Read and parse one YAML file with every guard on."""
    data = read_input(path, max_bytes, allow_empty=True)  # regular files only: a FIFO would block
    return load_bytes(data, str(path), max_bytes)


def load_bytes(data: bytes, name: str, max_bytes: int = MAX_BYTES) -> Node:
    """Parse YAML held in memory (decrypted banks never touch the disk)."""
    if len(data) > max_bytes:
        raise CcsooError(Problem(name, None, _too_big(len(data), max_bytes)))
    if not data.strip():
        raise CcsooError(Problem(name, None, "file is empty; expected a YAML mapping"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CcsooError(
            Problem(name, line, "not UTF-8 text (binary or another encoding); save the file as UTF-8")
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise CcsooError(Problem(name, line, "contains a NUL byte; this is not a text file"))
    _refuse_deep_flow(text, name)
    return _build(text, name)


def _refuse_deep_flow(text: str, name: str) -> None:
    """Refuse bracket nesting past the limit before any parser sees it.

    The parser itself may stop deep flow nesting with a message of its own (PyYAML 6.0.4
    does), or may not (older releases); counting brackets first makes the refusal and its
    wording ours whatever version is installed. Brackets inside prose only ever lower the
    count (depth never goes below zero), so real text is never refused by this scan.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # the common case, decided at C speed
    depth = 0
    line = 1
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise CcsooError(Problem(name, line, f"nested deeper than {MAX_DEPTH} levels; flatten the structure"))
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "\n":
            line += 1


def _too_big(size: int, cap: int) -> str:
    return f"file is {size:,} bytes, over the {cap:,}-byte limit; split it or check it is the right file"


def _build(text: str, name: str) -> Node:
    problems: list[Problem] = []
    stack: list[_Frame] = []
    root: Node | None = None
    documents = 0
    events = yaml.parse(text, Loader=_Loader)
    try:
        for event in events:
            line = event.start_mark.line + 1 if event.start_mark else 0
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise CcsooError(Problem(name, line, "more than one YAML document ('---'); keep one per file"))
                continue
            if isinstance(event, yaml.AliasEvent):
                # Stop at the first alias: expanding or even counting them is what bombs exploit.
                problems.append(Problem(name, line, "aliases (*name) are not allowed; write the value out in full"))
                raise CcsooError(problems)
            if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if event.anchor is not None:
                    problems.append(Problem(name, line, f"anchors (&{event.anchor}) are not allowed; remove them"))
                if event.tag is not None and not (isinstance(event, yaml.ScalarEvent) and event.tag == "!"):
                    problems.append(Problem(name, line, f"tags ({event.tag}) are not allowed; remove the '!' tag"))
            node: Node
            if isinstance(event, yaml.ScalarEvent):
                if (bad := unsafe_character(event.value)) is not None:
                    # A quoted "\e" or "\x9b" arrives as the control character itself: text is data, refuse it.
                    at = _line_holding(text, bad[1], line, event.end_mark.line + 1 if event.end_mark else line)
                    problems.append(Problem(name, at, f"this text {text_problem(event.value)}"))
                node = Scalar(event.value, line)
                root = _attach(stack, node, root, name, problems)
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    raise CcsooError(
                        Problem(name, line, f"nested deeper than {MAX_DEPTH} levels; flatten the structure")
                    )
                container: Mapping | Sequence
                container = Mapping({}, {}, line) if isinstance(event, yaml.MappingStartEvent) else Sequence([], line)
                root = _attach(stack, container, root, name, problems)
                stack.append(_Frame(container))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        error_line = mark.line + 1 if mark else None
        lines = text.splitlines()
        source_line = lines[error_line - 1] if error_line and error_line <= len(lines) else ""
        raise CcsooError(Problem(name, error_line, _syntax_message(exc, source_line))) from None
    except yaml.YAMLError as exc:
        raise CcsooError(Problem(name, None, f"not valid YAML ({type(exc).__name__}); check the file")) from None
    if problems:
        raise CcsooError(problems)
    if root is None:
        raise CcsooError(Problem(name, None, "file is empty; expected a YAML mapping"))
    return root


def _line_holding(text: str, char: str, first: int, last: int) -> int:
    """The source line (first..last) that holds ``char`` itself; ``first`` when an escape wrote it."""
    for number, source in enumerate(text.splitlines()[first - 1 : last], start=first):
        if char in source:
            return number
    return first


def _attach(stack: list[_Frame], node: Node, root: Node | None, name: str, problems: list[Problem]) -> Node | None:
    if not stack:
        return node
    frame = stack[-1]
    parent = frame.node
    if isinstance(parent, Sequence):
        parent.items.append(node)
        return root
    if frame.pending_key is None:
        if not isinstance(node, Scalar):
            problems.append(Problem(name, node.line, "a key must be plain text, not a list or mapping"))
            frame.pending_key = Scalar("\x00invalid", node.line)
            return root
        frame.pending_key = node
        return root
    key = frame.pending_key
    frame.pending_key = None
    if key.value == "\x00invalid":
        return root
    if key.value in parent.entries:
        first = parent.keys[key.value]
        problems.append(Problem(name, key.line, f"duplicate key '{key.value}' (first at line {first}); keep one"))
        return root
    parent.entries[key.value] = node
    parent.keys[key.value] = key.line
    return root


def _syntax_message(exc: yaml.MarkedYAMLError, source_line: str) -> str:
    problem = (exc.problem or str(exc)).strip()
    hint = "check indentation and quoting on this line"
    indent = source_line[: len(source_line) - len(source_line.lstrip())]
    if "\t" in indent or "tab" in problem.lower():
        hint = "YAML does not allow tabs for indentation; indent with spaces"
    elif "mapping values are not allowed" in problem:
        hint = "a ': ' inside text needs the text quoted or written as a '>-' block"
    return f"YAML syntax error: {problem}; {hint}"
