"""The question body: the stem and the options, drawn line by line into a region of fixed size.

A question screen built as a stack of widgets of varying height (a stem, one row per
option) lays the whole screen out again on every move to another question, twice: once for
the change and once for the heights it changed. At 80x24 each pass cost more than the
whole of a minimal Textual app's keypress. This widget fills the space between the
navigator and the key line, wraps each text once per width and keeps the lines, and
scrolls itself, so a move, an answer or a scroll is one repaint of this region and never a
layout. The rightmost column is the scroll bar ("#" on "|", plain ASCII for every console)
when the question is longer than the region, blank otherwise.

It draws what it is given: the screen decides the texts (``option_text``), the highlight
and when to go back to the top; the body keeps the highlighted option in view and says,
through ``scroll_y`` and ``max_scroll_y``, whether text is out of sight.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import Click, MouseScrollDown, MouseScrollUp
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from ccsoo_exam.ui.exam.messages import OptionClicked
from ccsoo_exam.ui.lines import LineWidget

PREFIX = 8  # ">(*) A. ": an option's text wraps under itself, not under its marks
_THUMB = Style(reverse=True)


class QuestionBody(LineWidget):
    """The stem, a blank line, then the options one under another, with a one-column scroll bar."""

    DEFAULT_CSS = """
    QuestionBody { height: 1fr; padding: 0 1; }
    """
    MAX_CACHED = 1024  # wrapped texts kept: 80 stems and their options, in a few states each
    ROWS_KEPT = 32  # rows kept: the next question (prepared) and an answer's variants

    @dataclass
    class Scrolled(Message):
        """The candidate scrolled with the mouse: whether text is out of sight may have changed."""

        body: QuestionBody

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.stem = Text()
        self.options: tuple[Text, ...] = ()
        self.stem_gap = 1  # blank lines between the stem and the first option
        self.top_line = 0  # the first content line shown
        self._lines: list[Strip] = []
        self._spans: list[tuple[int, int]] = []  # the content lines of each option: [first, end)
        self._wrapped: dict[tuple, list[Strip]] = {}
        self._cuts: dict[tuple[str, int], list[int]] = {}  # where an option's lines start, per width
        self._arranged_for: tuple | None = None
        self._rows: list[Strip] = []  # the visible rows: content and scroll bar cell
        self._row_cache: dict[tuple, tuple[Strip, Strip]] = {}  # (line, bar) -> (line, row)
        self._blank_cache: tuple[int, Style, Strip] | None = None
        self._view = Size(0, 0)  # the content size when last arranged
        self._outer_width = 0

    # -- what the screen asks ------------------------------------------------------------

    @property
    def scroll_y(self) -> int:
        return self.top_line

    @property
    def max_scroll_y(self) -> int:
        return max(0, len(self._lines) - self._view.height)

    def option(self, index: int) -> Text:
        """One option's text as drawn (tests and readers)."""
        return self.options[index]

    def show(self, stem: Text, options: tuple[Text, ...], highlight: int, *, top: bool = False) -> None:
        """Draw a question; ``top`` starts at its first line (a new question), else the
        highlighted option is kept in view."""
        self.stem, self.options = stem, options
        self._arrange()
        if top:
            self.top_line = 0
        self._keep_in_view(highlight)
        self._repaint()

    def wrap_options(self, options: tuple[Text, ...]) -> None:
        """Wrap options as a key is likely to show them next, while the candidate reads."""
        width = self._text_width()
        for text in options if width > 0 else ():
            self._wrap(text, width, True)

    def prepare(self, stem: Text, options: tuple[Text, ...]) -> None:
        """Wrap a question and finish its rows as a move to it shows them (from its top)."""
        width = self._text_width()
        if width <= 0:
            return
        lines, _ = self._layout(stem, options, width)
        height = self._view.height
        blank = self._blank(width)
        bars = self._bars_at(0, len(lines), height, self.base_style)
        for y in range(height):
            self.finished(self._row(lines[y] if y < len(lines) else blank, bars[y], width))

    def scroll_relative(self, *, y: float = 0, animate: bool = False) -> None:
        self.scroll_to_line(self.top_line + int(y))

    def scroll_home(self, *, animate: bool = False) -> None:
        self.scroll_to_line(0)

    def scroll_to_line(self, line: int) -> None:
        top = max(0, min(line, self.max_scroll_y))
        if top != self.top_line:
            self.top_line = top
            self._repaint()

    # -- drawing -------------------------------------------------------------------------

    def _text_width(self) -> int:
        return self._view.width - 1  # the last column is the scroll bar

    def _blank(self, width: int) -> Strip:
        """One blank line per width and style, the same object each time, so blank rows compare equal."""
        base = self.base_style
        cached = self._blank_cache
        if cached is None or cached[0] != width or cached[1] != base:
            cached = (width, base, Strip.blank(width, base))
            self._blank_cache = cached
        return cached[2]

    def _wrap(self, text: Text, width: int, option: bool) -> list[Strip]:
        """``text``'s lines at ``width`` in the widget's style, from the cache when seen before.

        An option's text follows its marks (the first ``PREFIX`` cells) on its first line, and
        its further lines are indented under the first, not under the marks."""
        base = self.base_style
        key = (text.plain, repr(text.spans), str(text.style), width, option, base)
        strips = self._wrapped.get(key)
        if strips is not None:
            return strips
        console = self.app.console
        marks, body = (text[:PREFIX], text[PREFIX:]) if option else (None, text)
        indent = PREFIX if option else 0
        strips = []
        for number, line in enumerate(self._lines_of(body, max(1, width - indent), option)):
            segments = list(line.render(console))
            if marks is not None:
                lead = list(marks.render(console)) if number == 0 else [Segment(" " * PREFIX)]
                segments = lead + segments
            strip = Strip(segments).adjust_cell_length(width)
            strips.append(strip.apply_style(base))
        if len(self._wrapped) >= self.MAX_CACHED:
            self._wrapped.pop(next(iter(self._wrapped)))
        self._wrapped[key] = strips
        return strips

    def _lines_of(self, text: Text, width: int, option: bool) -> list[Text]:
        """``text`` wrapped at ``width``. An option's words wrap the same way whatever its
        state (chosen, ruled out: only the style differs), so where its lines break is kept
        per text and width, and a change of state only cuts the restyled text there."""
        if not option or "\n" in text.plain:
            return list(text.wrap(self.app.console, width, overflow="fold"))
        key = (text.plain, width)
        cuts = self._cuts.get(key)
        if cuts is None:
            plain, at, cuts = text.plain, 0, []
            for line in Text(plain).wrap(self.app.console, width, overflow="fold"):
                start = plain.find(line.plain, at) if line.plain else at
                cuts.append(start)
                at = start + len(line.plain)
            if len(self._cuts) >= self.MAX_CACHED:
                self._cuts.pop(next(iter(self._cuts)))
            self._cuts[key] = cuts
        return list(text.divide(cuts[1:]))

    def _arrange(self) -> None:
        width = self._text_width()
        # Widget.size is a look-up in the compositor's map: asked once here, not on every line.
        self._view, self._outer_width = self.size, self.outer_size.width
        self._arranged_for = (self._view, self.base_style)
        if width <= 0:
            self._lines, self._spans = [], []
            return
        self._lines, self._spans = self._layout(self.stem, self.options, width)

    def _layout(self, stem: Text, options: tuple[Text, ...], width: int) -> tuple[list[Strip], list[tuple[int, int]]]:
        """A question's content lines at ``width``, and the lines of each option."""
        blank = self._blank(width)
        lines = [*self._wrap(stem, width, False), *([blank] * self.stem_gap)]
        spans = []
        for text in options:
            first = len(lines)
            lines.extend(self._wrap(text, width, True))
            spans.append((first, len(lines)))
        return lines, spans

    def _keep_in_view(self, highlight: int) -> None:
        if 0 <= highlight < len(self._spans):
            first, end = self._spans[highlight]
            height = max(1, self._view.height)
            if first < self.top_line:
                self.top_line = first
            elif end > self.top_line + height:
                self.top_line = min(first, end - height)
        self.top_line = max(0, min(self.top_line, self.max_scroll_y))

    def _repaint(self) -> None:
        """Compose the visible rows and refresh only those that changed: an answer repaints
        the lines of two options, not the region."""
        changed = self._compose_rows()
        if len(changed) > self._view.height // 2:
            self.refresh()
        elif changed:
            self.refresh(*(Region(0, y, self._outer_width, 1) for y in changed))

    def _compose_rows(self) -> list[int]:
        """The visible rows from the wrapped lines; returns the rows that differ from before."""
        height, width = self._view.height, self._text_width()
        if width <= 0 or height <= 0:
            self._rows = []
            return []
        blank = self._blank(width)
        bars = self._bars_at(self.top_line, len(self._lines), height, self.base_style)
        rows, changed = [], []
        for y in range(height):
            index = self.top_line + y
            row = self._row(self._lines[index] if index < len(self._lines) else blank, bars[y], width)
            if y >= len(self._rows) or self._rows[y] is not row:
                changed.append(y)
            rows.append(row)
        self._rows = rows
        return changed

    def _row(self, line: Strip, bar: Segment, width: int) -> Strip:
        """A content line with its scroll bar cell, the same object each time it is asked for."""
        key = (id(line), bar.text, bar.style)
        cached = self._row_cache.get(key)
        if cached is None or cached[0] is not line:
            if len(self._row_cache) >= self.ROWS_KEPT:
                self._row_cache.pop(next(iter(self._row_cache)))
            cached = (line, Strip([*line, bar], width + 1))
            self._row_cache[key] = cached
        return cached[1]

    @staticmethod
    def _bars_at(top: int, total: int, height: int, base: Style) -> list[Segment]:
        """The scroll bar's cell on each visible row: blank when the question fits."""
        if total <= height:
            return [Segment(" ", base)] * height
        thumb_start = top * height // total
        thumb_end = max(thumb_start + 1, (top + height) * height // total)
        thumb = base + _THUMB
        return [Segment("#", thumb) if thumb_start <= y < thumb_end else Segment("|", base) for y in range(height)]

    def render_line(self, y: int) -> Strip:
        # A new size or theme repaints the whole body, from its first line: look there only.
        if (y == 0 or not self._rows) and self._arranged_for != (self.size, self.base_style):
            # First paint, a new size or a new theme: the compositor is drawing already.
            self._arrange()
            self.top_line = max(0, min(self.top_line, self.max_scroll_y))
            self._rows = []
            self._compose_rows()
        return self._rows[y] if y < len(self._rows) else Strip.blank(self._view.width, self.base_style)

    # -- input ---------------------------------------------------------------------------

    def on_resize(self) -> None:
        self._arrange()
        self.top_line = max(0, min(self.top_line, self.max_scroll_y))
        self._rows = []
        self._repaint()
        self.post_message(self.Scrolled(self))

    def _on_mouse_scroll_down(self, event: MouseScrollDown) -> None:
        event.stop()
        self.scroll_to_line(self.top_line + 1)
        self.post_message(self.Scrolled(self))

    def _on_mouse_scroll_up(self, event: MouseScrollUp) -> None:
        event.stop()
        self.scroll_to_line(self.top_line - 1)
        self.post_message(self.Scrolled(self))

    def on_click(self, event: Click) -> None:
        line = self.top_line + event.y
        for index, (first, end) in enumerate(self._spans):
            if first <= line < end:
                self.post_message(OptionClicked(index))
                return
