"""Aiken, the one-question-per-paragraph plain-text format (import only).

A question is its text, then option lines ``A. text`` or ``A) text`` (letters in order
from A), then ``ANSWER: X``; a blank line separates questions. Text is plain: nothing in
it is markup.
"""

from __future__ import annotations

import re

from ccsoo_exam.interchange.model import Cleaner, Question, Reading
from ccsoo_exam.interchange.text import plain_to_text

_OPTION = re.compile(r"^([A-Z])[.)]\s+(.*)$")
_ANSWER = re.compile(r"^ANSWER:\s*([A-Z])\s*$", re.I)


def looks_like_aiken(text: str) -> bool:
    return any(_ANSWER.match(line.strip()) for line in text.splitlines())


def read_aiken(source: str, path: str) -> Reading:
    reading = Reading()
    stem: list[str] = []
    options: list[str] = []
    start = 0
    for number, raw in enumerate([*source.splitlines(), ""], start=1):
        line = raw.strip()
        where = f"{path}:{start or number}"
        if not line:
            if stem or options:
                reading.skip(where, f"line {start}", "has no 'ANSWER: X' line; end each question with one")
                stem, options, start = [], [], 0
            continue
        if not start:
            start = number
        answer = _ANSWER.match(line)
        option = _OPTION.match(line)
        if answer:
            name = f"line {start}"
            letter = answer.group(1).upper()
            letters = [chr(ord("A") + i) for i in range(len(options))]
            if letter not in letters:
                reading.skip(where, name, f"its answer '{letter}' is not one of its options ({', '.join(letters)})")
            else:
                clean = Cleaner(reading, where, name)
                texts = tuple(clean(plain_to_text(o)) for o in options)
                question = Question(where, "", clean(plain_to_text("\n".join(stem))), texts, letters.index(letter))
                clean.report()
                reading.offer(question)
            stem, options, start = [], [], 0
        elif option and (options or stem) and option.group(1) == chr(ord("A") + len(options)):
            options.append(option.group(2))
        elif options:
            options[-1] += " " + line  # a wrapped option line
        else:
            stem.append(line)
    return reading
