"""Outside text is data: refused where it carries terminal control, shown literally everywhere.

Banks, rubrics, rosters, exam definitions and typed input are written by people we do not
control. A terminal obeys ESC, CSI and OSC sequences wherever they appear in its output
(OSC 52 writes the clipboard, CSI 2J wipes the screen); bidi overrides make text read
differently from what is stored; NUL and other invisible characters make two names look
alike. So:

* ``unsafe_character`` finds the first character no outside text may hold, and
  ``text_problem`` words it for a ``path:line`` message where the text enters;
* ``literal`` is for display: it makes any such character visible as ``<U+001B>``, so
  text that got past the door (an old database, a hand-edited row) still cannot act on
  the terminal. Rich markup is a separate matter: display code passes text as
  ``rich.text.Text`` or with ``markup=False``, never into a markup string.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls except tab and newline, DEL, C1 controls; bidi embeddings, overrides, isolates and
# marks; zero-width characters and the BOM; line and paragraph separators; every other format
# character (category Cf) is caught by the category test below.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")
_ASCII_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f]")

# For Textual's Input(restrict=...): the whole value must match, so one bad character is refused as typed.
INPUT_RESTRICT = "[^\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]*"


def unsafe_character(text: str, *, newline: bool = True, tab: bool = True) -> tuple[int, str] | None:
    """The index and character of the first character outside text must not hold, or None.

    Fast on long clean text (every bank stem passes here at unlock): one C-level regex
    search for the ASCII controls, and a category look-up only for the distinct non-ASCII
    characters.
    """
    bad: set[str] = set()
    if not newline and "\n" in text:
        bad.add("\n")
    if not tab and "\t" in text:
        bad.add("\t")
    if found := _ASCII_UNSAFE.search(text):
        bad.add(found.group())
    if not text.isascii():
        bad.update(
            char
            for char in set(text)
            if ord(char) > 0x7E and (_UNSAFE.match(char) or unicodedata.category(char) in _CATEGORIES)
        )
    if not bad:
        return None
    index = min(text.index(char) for char in bad)
    return index, text[index]


def describe(char: str) -> str:
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(ord(char), "control character")
    return f"U+{ord(char):04X} {name}"


def text_problem(text: str, *, newline: bool = True, tab: bool = True) -> str | None:
    """Why this text may not enter the product, worded for the person who wrote it; None if fine."""
    found = unsafe_character(text, newline=newline, tab=tab)
    if found is None:
        return None
    index, char = found
    line = text.count("\n", 0, index)
    where = f" on its line {line + 1}" if line else ""
    return (
        f"contains {describe(char)} at character {index + 1}{where}, which could act on a terminal "
        "or hide what the text says; remove it (plain text only)"
    )


def literal(text: str) -> str:
    """The text with every unsafe character shown as ``<U+XXXX>`` (newlines and tabs kept)."""
    if unsafe_character(text) is None:
        return text
    return "".join(f"<U+{ord(c):04X}>" if c not in "\n\t" and unsafe_character(c) is not None else c for c in text)


def literal_line(text: str) -> str:
    """``literal`` for one-line places (table cells, ``path:line`` messages): newlines shown too."""
    return literal(text).replace("\n", "<U+000A>").replace("\t", "<U+0009>")


_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BACKSPACE",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESC",
    0x7F: "DEL",
    0x9B: "CSI",
    0x9D: "OSC",
}


def has_control(text: str) -> bool:
    """True when the text holds a character that must not reach a terminal (newlines and tabs too)."""
    return unsafe_character(text, newline=False, tab=False) is not None


def visible(text: object, keep: str = "") -> str:
    """``text`` as a string with unsafe characters shown literally; line breaks kept only if in ``keep``."""
    value = "" if text is None else str(text)
    return literal(value) if "\n" in keep else literal_line(value)
