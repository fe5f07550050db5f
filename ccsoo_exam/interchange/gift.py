"""GIFT, Moodle's plain-text question format, read and written.

Read: questions are separated by blank lines; ``//`` lines are comments; ``::title::``
names a question; ``$CATEGORY:`` sets the topic hint. A question whose answer block has
one ``=`` answer and 2-4 ``~`` answers (none weighted ``%n%``) is multiple choice and
becomes an item; a block in the middle of the text ("missing word") leaves ``_____`` in
the stem. ``#`` answer feedback and ``####`` general feedback become the rationale.
True/false, short answer, matching, numerical, essay and weighted (multiple response)
questions are reported and skipped.
"""

from __future__ import annotations

import functools
import re

from ccsoo_exam.bank import LETTERS, Bank
from ccsoo_exam.interchange.model import Cleaner, Question, Reading
from ccsoo_exam.interchange.text import html_to_text, plain_to_text

_SPECIAL = "~=#{}:"
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.I)


def _split_unescaped(text: str, stops: str) -> list[tuple[str, str]]:
    """Split at unescaped stop characters, returning (stop that began the piece, piece)."""
    pieces: list[tuple[str, str]] = []
    current: list[str] = []
    lead = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char in stops:
            pieces.append((lead, "".join(current)))
            current, lead = [], char
        else:
            current.append(char)
        i += 1
    pieces.append((lead, "".join(current)))
    return pieces


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _find_unescaped(text: str, char: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def _blocks(source: str) -> list[tuple[int, str]]:
    """(first line number, text) of each question: comment lines dropped, blank lines separate."""
    blocks: list[tuple[int, str]] = []
    lines: list[str] = []
    start = 0
    for number, line in enumerate(source.splitlines(), start=1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            # A blank line inside an open answer block does not end the question.
            if lines and _find_unescaped("\n".join(lines), "{") > _find_unescaped("\n".join(lines), "}"):
                lines.append("")
                continue
            if lines:
                blocks.append((start, "\n".join(lines)))
                lines = []
            continue
        if not lines:
            start = number
        lines.append(line)
    if lines:
        blocks.append((start, "\n".join(lines)))
    return blocks


def read_gift(source: str, path: str) -> Reading:
    reading = Reading()
    category = ""
    for line, block in _blocks(source):
        where = f"{path}:{line}"
        stripped = block.strip()
        if stripped.startswith("$CATEGORY:"):
            category = stripped.split(":", 1)[1].strip().rsplit("/", 1)[-1]
            continue
        title = ""
        if stripped.startswith("::"):
            end = stripped.find("::", 2)
            if end > 0:
                title, stripped = _unescape(stripped[2:end].strip()), stripped[end + 2 :].strip()
        name = title or f"line {line}"
        fmt_match = _FORMAT.match(stripped)
        fmt = "moodle"
        if fmt_match:
            fmt = fmt_match.group(1).lower()
            stripped = stripped[fmt_match.end() :]
        open_at = _find_unescaped(stripped, "{")
        close_at = _find_unescaped(stripped, "}", open_at + 1) if open_at >= 0 else -1
        if open_at < 0 or close_at < 0:
            if open_at >= 0:
                reading.skip(where, name, "has '{' with no closing '}'; close the answer block or escape it as \\{")
            else:
                reading.skip(where, name, "has no answer block {...}; a description, not a question")
            continue
        answers = stripped[open_at + 1 : close_at]
        before, after = stripped[:open_at].strip(), stripped[close_at + 1 :].strip()
        stem_raw = f"{before} _____ {after}" if after else before
        reading_one = _answers(answers)
        if isinstance(reading_one, str):
            reading.skip(where, name, reading_one)
            continue
        options_raw, key, per_option, general = reading_one
        clean = Cleaner(reading, where, name)
        text = functools.partial(_convert, fmt=fmt, clean=clean)
        options = [text(o) for o in options_raw]
        feedback = [text(general)] if general.strip() else []
        feedback += [f"Option {LETTERS[i]}: {text(f)}" for i, f in enumerate(per_option) if f.strip() and i < 5]
        question = Question(where, title, text(stem_raw), tuple(options), key, "\n\n".join(feedback), category)
        clean.report()
        reading.offer(question)
    return reading


def _convert(raw: str, *, fmt: str, clean: Cleaner) -> str:
    """GIFT text as plain text: ``[html]``/``[moodle]`` text is HTML, ``[plain]``/``[markdown]`` is not.

    An answer or a feedback may carry its own format marker, as Moodle writes them.
    """
    own = _FORMAT.match(raw)
    if own:
        fmt, raw = own.group(1).lower(), raw[own.end() :]
    value = _unescape(raw.strip())
    if fmt in {"html", "moodle"}:
        converted, lost = html_to_text(value)
        return clean(converted, lost)
    return clean(plain_to_text(value))


def _answers(block: str) -> tuple[list[str], int, list[str], str] | str:
    """The options, key index, per-option feedback and general feedback; or why it is not multiple choice."""
    body = block.strip()
    if not body:
        return "is an essay question (empty answer block)"
    if body.startswith("#"):
        return "is a numerical question"
    general = ""
    at = body.find("####")
    if at >= 0 and (at == 0 or body[at - 1] != "\\"):
        body, general = body[:at], body[at + 4 :]
    if re.fullmatch(r"\s*(T|F|TRUE|FALSE)\s*(#.*)?", body, re.S):
        return "is a true/false question (2 options); the bank format takes 3 to 5"
    pieces = [(lead, piece) for lead, piece in _split_unescaped(body, "=~") if lead]
    if not pieces:
        return "has an answer block the reader does not understand; mark answers with = and ~"
    if all(lead == "=" for lead, _ in pieces) and not any("->" in piece for _, piece in pieces):
        return "is a short-answer question (every answer marked =)"
    options, feedback, key = [], [], -1
    for index, (lead, piece) in enumerate(pieces):
        if "->" in piece:
            return "is a matching question"
        if re.match(r"\s*%-?\d", piece):
            return "weights its answers (%n%), as multiple response does; the bank format has one key"
        at_hash = _find_unescaped(piece, "#")
        text, said = (piece[:at_hash], piece[at_hash + 1 :]) if at_hash >= 0 else (piece, "")
        if lead == "=":
            if key >= 0:
                return "has more than one '=' answer (short answer, or two keys)"
            key = index
        options.append(text)
        feedback.append(said)
    if key < 0:
        return "has no '=' answer; mark the correct option with ="
    return options, key, feedback, general


def _escape(text: str) -> str:
    out = []
    for char in text:
        if char == "\\" or char in _SPECIAL:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        else:
            out.append(char)
    return "".join(out)


def write_gift(bank: Bank) -> bytes:
    """The bank as GIFT, plain-text format: options in letter order, the rationale as general feedback."""
    lines = [f"// {bank.id}: module {bank.module}, {bank.title}", f"$CATEGORY: {bank.title}", ""]
    for item in bank.items:
        lines.append(f"// topic: {item.topic}; difficulty: {item.difficulty}")
        lines.append(f"::{_escape(item.id)}::[plain]{_escape(item.stem)} {{")
        for letter in item.letters:
            mark = "=" if letter == item.key else "~"
            lines.append(f"\t{mark}{_escape(item.options[letter])}")
        lines.append(f"\t####{_escape(item.rationale)}")
        lines.append("}")
        lines.append("")
    return "\n".join(lines).encode("utf-8")
