"""What the command line writes is literal text: outside text never acts on the terminal.

``main`` wraps standard output and standard error in ``LiteralStream``, so every line a
command prints (a roster name, a panelist's note, a file name in a message) shows control
and invisible format characters as ``<U+001B>`` instead of sending them. Rich tables are
drawn with markup, emoji codes and colours off (``console``): a name such as ``[/]`` or
``[link=...]`` is printed as written, and nothing of Rich's own needs an escape sequence.
Exact bytes (``bank decrypt``) go to ``sys.stdout.buffer``, which is not filtered.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ccsoo_exam.text import literal


class LiteralStream:
    """A text stream that writes ``literal(text)`` to the stream it wraps."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(literal(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, buffer, encoding ...
        return getattr(self.raw, name)


def install() -> tuple[TextIO, TextIO]:
    """Wrap stdout and stderr; returns the originals for ``restore``."""
    saved = (sys.stdout, sys.stderr)
    if not isinstance(sys.stdout, LiteralStream):
        sys.stdout = LiteralStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, LiteralStream):
        sys.stderr = LiteralStream(sys.stderr)  # type: ignore[assignment]
    return saved


def restore(saved: tuple[TextIO, TextIO]) -> None:
    sys.stdout, sys.stderr = saved


def console(**options: Any) -> Any:
    """A Rich console for tables: plain text through the literal stream, no markup, no colour."""
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False, color_system=None, **options)
