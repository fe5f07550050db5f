"""Outside text (names, ids, notes, reasons) shown on a terminal: literal, without control codes.

Rich and Textual render ``Text`` literally (no markup), but a control character such as
ESC, or an invisible format character such as a bidi override, still reaches the terminal
and can move the cursor, change colours or reorder what is read. The one definition of an
unsafe character lives in ``ccsoo_exam.text``; these helpers apply it to display: every
unsafe character is shown as ``<U+XXXX>``, so a hostile roster name shows as what it is.
"""

from __future__ import annotations

from ccsoo_exam.text import literal, literal_line, unsafe_character


def has_control(text: str) -> bool:
    """True when the text holds a character that must not reach a terminal (newlines and tabs too)."""
    return unsafe_character(text, newline=False, tab=False) is not None


def visible(text: object, keep: str = "") -> str:
    """``text`` as a string with unsafe characters shown literally; line breaks kept only if in ``keep``."""
    value = "" if text is None else str(text)
    return literal(value) if "\n" in keep else literal_line(value)
