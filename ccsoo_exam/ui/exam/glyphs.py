"""Characters every candidate's terminal can draw, and states that never rest on colour.

The Linux console's default font has the basic line-drawing set and little more: no
rounded corners, no half or eighth blocks, no emoji. ``console_safe`` decides, from TERM,
whether the screens must keep to that set; ``apply_console_glyphs`` then swaps Textual's
scrollbar blocks for plain cells and loads ``console.tcss`` (square, single-line borders).
``TickBox`` is the check box for every screen: its state is "[x]" or "[ ]", readable on a
monochrome terminal, where Textual's own box shows the same "X" in two colours.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from textual.binding import Binding
from textual.content import Content
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widgets import Checkbox

CONSOLE_TCSS = Path(__file__).with_name("console.tcss")
# Terminals whose fonts may lack anything beyond ASCII and the basic box-drawing lines.
CONSOLE_TERMS = ("linux", "vt", "dumb", "cons", "ansi", "pcansi")
CHECKED, UNCHECKED = "[x]", "[ ]"
MORE = "--"  # framing the "more below" marker: plain hyphens, never an arrow glyph


def console_safe(environ: Mapping[str, str]) -> bool:
    """True when the screens must keep to the Linux console's default font (TERM=linux and kin).

    ``CCSOO_EXAM_GLYPHS=console`` forces the safe set on any terminal (a proctor who sees boxes
    or question marks on screen sets it); ``=full`` allows the full set."""
    forced = environ.get("CCSOO_EXAM_GLYPHS", "").strip().lower()
    if forced in ("console", "ascii", "safe"):
        return True
    if forced == "full":
        return False
    term = environ.get("TERM", "").strip().lower()
    return not term or term.startswith(CONSOLE_TERMS)


class ConsoleScrollBarRender(ScrollBarRender):
    """The scrollbar thumb as whole reversed cells: no eighth-block characters."""

    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


def apply_console_glyphs(css_paths: list) -> None:
    """Switch the running app to the console-safe glyph set (called once, from the app)."""
    ScrollBar.renderer = ConsoleScrollBarRender
    css_paths.append(CONSOLE_TCSS)


class TickBox(Checkbox, inherit_bindings=False):
    """A check box whose state is spelled out: "[x]" ticked, "[ ]" not, in any colour or none.

    Space ticks it; Enter is left to the form (continue), so a proctor's Enter on a box of
    accommodations does not silently tick or untick one."""

    BINDINGS = [Binding("space", "toggle_button", show=False)]
    DEFAULT_CSS = """
    TickBox { border: none; padding: 0; height: auto; background: transparent; }
    TickBox:focus { border: none; text-style: bold reverse; }
    TickBox > .toggle--button { background: transparent; color: $text; }
    TickBox.-on > .toggle--button { background: transparent; color: $text; text-style: bold; }
    """

    @property
    def _button(self) -> Content:
        return Content(CHECKED if self.value else UNCHECKED)
