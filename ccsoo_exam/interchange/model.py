"""The common model every format reads into and writes from.

An importer turns one file into ``Question`` values (multiple choice it can bring over)
and ``Note`` values (questions skipped, and what was changed on the way in, each with its
file and the source's identifier). ``to_bank_yaml`` writes the questions as a bank source
with marked placeholders where the source had nothing to say.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ccsoo_exam.bank import ITEM_ID, LETTERS, MAX_OPTIONS, MIN_OPTIONS, PLACEHOLDER

TOPIC_TODO = f"{PLACEHOLDER} topic label for balance and item analysis"
DIFFICULTY_TODO = f"{PLACEHOLDER} easy, medium or hard"
SOURCE_TODO = f"{PLACEHOLDER} what the item draws on"
RATIONALE_TODO = f"{PLACEHOLDER} why the key is right and, for each distractor, 'Option X is wrong because ...'"
MODULE_TODO = f"{PLACEHOLDER} the module number, 1-5"
TITLE_TODO = f"{PLACEHOLDER} the module title"


@dataclass(frozen=True)
class Question:
    """One single-answer multiple-choice question as a source holds it, as plain text."""

    path: str
    identifier: str  # the source's own name for it (QTI identifier, Moodle name, GIFT title); "" if none
    stem: str
    options: tuple[str, ...]
    key: int  # index into options
    feedback: str = ""  # general feedback, and per-option feedback, as text
    category: str = ""  # the source's category or section, offered to the author as a topic hint


@dataclass(frozen=True)
class Note:
    """Something the author should know about one source question."""

    path: str
    identifier: str
    message: str
    skipped: bool = False

    def __str__(self) -> str:
        what = f"question '{self.identifier}'" if self.identifier else "a question"
        verb = "skipped" if self.skipped else "note"
        # Identifiers, paths inside packages and messages quoting the source are outside text.
        return inert(f"{self.path}: {what}: {verb}: {self.message}")


@dataclass
class Reading:
    """What one or more files gave: the questions kept and the notes about them."""

    questions: list[Question] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def extend(self, other: Reading) -> None:
        self.questions.extend(other.questions)
        self.notes.extend(other.notes)

    def skip(self, path: str, identifier: str, message: str) -> None:
        self.notes.append(Note(path, inert(identifier), message, skipped=True))

    def note(self, path: str, identifier: str, message: str) -> None:
        self.notes.append(Note(path, inert(identifier), message))

    def offer(self, question: Question) -> None:
        """Keep a question if it fits the bank format, or say why not."""
        question = replace(question, identifier=inert(question.identifier), category=inert(question.category))
        count = len(question.options)
        if not MIN_OPTIONS <= count <= MAX_OPTIONS:
            self.skip(
                question.path,
                question.identifier,
                f"has {count} options; the bank format takes {MIN_OPTIONS} to {MAX_OPTIONS}",
            )
            return
        if not question.stem.strip():
            self.skip(question.path, question.identifier, "has no question text")
            return
        empty = [LETTERS[i] for i, text in enumerate(question.options) if not _words(text)]
        if empty:
            self.skip(
                question.path,
                question.identifier,
                f"option {', '.join(empty)} has no text (an image or media only); the bank holds text options",
            )
            return
        seen = [" ".join(t.lower().split()) for t in question.options]
        if len(set(seen)) < len(seen):
            self.skip(question.path, question.identifier, "two options have the same text")
            return
        self.questions.append(question)


def inert(text: str) -> str:
    """Outside text with control characters and bidi overrides removed (for names and messages)."""
    from ccsoo_exam.interchange.text import make_inert

    return make_inert(text)[0]


def _words(text: str) -> str:
    """The text without the placeholders that stand for images, media and formulas."""
    return re.sub(r"\[(image|media|formula)\]", "", text).strip()


def item_ids(questions: Sequence[Question], prefix: str) -> list[str]:
    """An item id for each question: the source's identifier where it is a valid id, else PREFIX-NNN."""
    ids: list[str] = []
    taken: set[str] = set()
    for number, question in enumerate(questions, start=1):
        candidate = question.identifier.strip()
        if not ITEM_ID.fullmatch(candidate):
            cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", candidate).strip("-_.")[:40]
            candidate = cleaned if cleaned and ITEM_ID.fullmatch(cleaned) else f"{prefix}-{number:03d}"
        base, suffix = candidate, 2
        while candidate in taken:
            candidate = f"{base[:36]}-{suffix}"
            suffix += 1
        taken.add(candidate)
        ids.append(candidate)
    return ids


def quote(text: str) -> str:
    """A YAML double-quoted scalar: every scalar is quoted, so nothing is read as a number or a boolean."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def to_bank_yaml(
    questions: Sequence[Question],
    ids: Sequence[str],
    *,
    bank_id: str,
    module: str = MODULE_TODO,
    title: str = TITLE_TODO,
    origins: Iterable[str] = (),
) -> str:
    """A bank source for the questions; placeholders mark what an author must still write."""
    lines = [
        "# Written by 'ccsoo-exam bank import'" + (f" from {', '.join(origins)}" if origins else "") + ".",
        "# Values starting 'TODO:' are placeholders: 'ccsoo-exam bank validate' refuses them until filled in.",
        f"bank: {quote(bank_id)}",
        f"module: {quote(module)}",
        f"title: {quote(title)}",
        "items:",
    ]
    for question, item_id in zip(questions, ids, strict=True):
        hint = f" (the source files it as: {question.category})" if question.category else ""
        lines.append(f"  - id: {quote(item_id)}")
        lines.append(f"    stem: {quote(question.stem)}")
        lines.append("    options:")
        for letter, text in zip(LETTERS, question.options, strict=False):
            lines.append(f"      {letter}: {quote(text)}")
        lines.append(f"    key: {quote(LETTERS[question.key])}")
        lines.append(f"    rationale: {quote(question.feedback or RATIONALE_TODO)}")
        lines.append(f"    topic: {quote(TOPIC_TODO + hint)}")
        lines.append(f"    difficulty: {quote(DIFFICULTY_TODO)}")
        lines.append(f"    source: {quote(SOURCE_TODO + f'; imported from {question.path}')}")
    return "\n".join(lines) + "\n"


class Cleaner:
    """Makes one question's texts inert and records, once per question, what was lost or removed."""

    def __init__(self, reading: Reading, path: str, identifier: str) -> None:
        self.reading, self.path, self.identifier = reading, path, identifier
        self.lost: list[str] = []
        self.removed = 0

    def __call__(self, text: str, lost: Sequence[str] = ()) -> str:
        from ccsoo_exam.interchange.text import make_inert

        cleaned, removed = make_inert(text)
        self.removed += removed
        self.lost.extend(lost)
        return cleaned

    def report(self) -> None:
        if self.lost:
            counts = Counter(self.lost)
            what = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.items())
            self.reading.note(
                self.path,
                self.identifier,
                f"{what} shown as [image]/[media]/[formula] placeholders; "
                "describe them in words or the candidate will not see them",
            )
        if self.removed:
            self.reading.note(
                self.path,
                self.identifier,
                f"{self.removed} control or bidirectional-override character(s) removed from its text",
            )
