"""A status line for the panel screens, in place of Textual's pop-up notifications.

Toasts are drawn over the bottom right of the screen, which on the scoring screen is the
level descriptor the panelist is reading, and they follow the panelist onto the next
screen. A line of its own covers nothing: each message replaces the last, and stays until
the next one (or until ``clear``). Text is always shown literally (names, ids and notes
are typed by people).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

SEVERITIES = ("information", "warning", "error")


class StatusLine(Static):
    """Shows one message at a time; ``said`` keeps every message shown, for tests and audit on screen."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    StatusLine.-warning { color: $warning; text-style: bold; }
    StatusLine.-error { color: $error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.said: list[tuple[str, str]] = []

    def say(self, message: str, severity: str = "information") -> None:
        if severity not in SEVERITIES:
            raise ValueError(severity)
        self.said.append((severity, message))
        prefix = {"warning": "! ", "error": "x "}.get(severity, "")
        for name in SEVERITIES[1:]:
            self.set_class(severity == name, f"-{name}")
        self.update(Text(prefix + message))

    def clear(self) -> None:
        self.set_class(False, "-warning")
        self.set_class(False, "-error")
        self.update("")

    @property
    def text(self) -> str:
        return self.said[-1][1] if self.said else ""
