"""Outside text (names, ids, notes, reasons) shown on a terminal: literal, without control codes.

Rich and Textual render ``Text`` literally (no markup), but a control character such as
ESC still reaches the terminal and can move the cursor, change colours or retitle the
window. ``visible`` replaces every control character (Unicode category Cc, except the
line breaks and tabs a caller asks to keep) with U+FFFD, so a hostile roster name shows
as what it is.
"""

from __future__ import annotations

import unicodedata

REPLACEMENT = "\ufffd"


def has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def visible(text: object, keep: str = "") -> str:
    """``text`` as a string with control characters (other than those in ``keep``) replaced."""
    value = "" if text is None else str(text)
    if not has_control(value):
        return value
    return "".join(REPLACEMENT if unicodedata.category(ch) == "Cc" and ch not in keep else ch for ch in value)
