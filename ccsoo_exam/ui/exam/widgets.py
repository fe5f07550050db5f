"""Small exam widgets: status bar, navigator strip and the question body.

They get values as attributes and render them; they hold no sitting state of their own.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import Click
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from ccsoo_exam.store.sittings import ResponseState
from ccsoo_exam.ui.exam.messages import OptionClicked

# ASCII symbols: a plain Linux console font has none of the pretty ones, and state must
# never be told by colour alone.
SYMBOL_OPEN = "-"
SYMBOL_ANSWERED = "+"
SYMBOL_FLAGGED = "?"
SYMBOL_FLAGGED_ANSWERED = "!"
LEGEND = (
    f"{SYMBOL_ANSWERED} answered  {SYMBOL_OPEN} open",
    f"{SYMBOL_FLAGGED} flagged  {SYMBOL_FLAGGED_ANSWERED} flag+answer",
)


def symbol(state: ResponseState) -> str:
    if state.flagged:
        return SYMBOL_FLAGGED_ANSWERED if state.answer else SYMBOL_FLAGGED
    return SYMBOL_ANSWERED if state.answer else SYMBOL_OPEN


class StatusBar(Static):
    """Where the candidate is, how much is done, whether it is saved, and the time left."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $primary; color: $text; padding: 0 1; }
    """

    def show(self, left: str, saved: str, clock: str) -> None:
        text = Text(left)
        right = Text()
        if saved:
            style = "bold reverse" if saved.startswith("NOT") else "bold"
            right.append(f" {saved} ", style=style)
        if clock:
            right.append(f"  Time left {clock}", style="bold")
        else:
            right.append("  Timer hidden (T shows it)")
        width = max(0, (self.size.width or 78) - 2 - text.cell_len - right.cell_len)
        text.append(" " * width)
        text.append_text(right)
        self.update(text, layout=False)  # always one line: a repaint, never a layout


class Navigator(Widget):
    """All questions in two rows of 40: one symbol each, the current one bracketed.

    Drawn line by line: a move changes one or two symbols, so only the rows holding them are
    rebuilt and repainted, never the widget's layout.
    """

    DEFAULT_CSS = """
    Navigator { height: 2; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[tuple] = []
        self._texts: list[Text] = []
        self._strips: list[Strip] = []
        self._width = -1

    @property
    def text(self) -> str:
        """The rows as plain text (for tests)."""
        return "\n".join(t.plain for t in self._texts)

    def show(self, states: list[ResponseState], current: int) -> None:
        keys, texts = [], []
        for number, row_start in enumerate(range(0, len(states), 40)):
            row = states[row_start : row_start + 40]
            key = (row_start, tuple((symbol(s), s.position == current, bool(s.answer)) for s in row))
            if number < len(self._keys) and self._keys[number] == key:
                texts.append(self._texts[number])
            else:
                texts.append(self._row(row_start, row, current))
                self.refresh(Region(0, number, self.outer_size.width or 1000, 1))
            keys.append(key)
        self._keys, self._texts = keys, texts
        self._strips = []

    @staticmethod
    def _row(row_start: int, row: list[ResponseState], current: int) -> Text:
        text = Text(f"{row_start + 1:>2}-{row_start + len(row):<2} ")
        for state in row:
            if state.position and state.position % 10 == 0 and state.position != row_start:
                text.append(" ")
            mark = symbol(state)
            if state.position == current:
                text.append(mark, style="bold reverse underline")
            else:
                text.append(mark, style="bold" if state.answer else "")
        text.append("   " + LEGEND[min(row_start // 40, 1)])
        return text

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if len(self._strips) != len(self._texts) or self._width != width:
            console, base = self.app.console, self.rich_style
            self._width = width
            self._strips = [
                Strip(list(t.render(console))).adjust_cell_length(width).apply_style(base) for t in self._texts
            ]
        return self._strips[y] if y < len(self._strips) else Strip.blank(width, self.rich_style)


def option_text(letter: str, text: str, chosen: bool, struck: bool, highlighted: bool) -> Text:
    """One option as drawn: its letter, a chosen marker, and a strike-out marker with its style.

    State is drawn into the text itself, never with CSS classes (a class change restyles the
    whole screen), and never by colour alone."""
    base = "bold" if chosen else ""
    line = Text(f"{'>' if highlighted else ' '}{'(*)' if chosen else '( )'} ", style=base)
    line.append(f"{letter}.", style="bold reverse" if highlighted else "bold")
    line.append(" ")
    if struck:
        line.append("[ruled out] ", style="italic")
        line.append(text, style="strike dim")
    else:
        line.append(text, style=base)
    return line


_BAR = Style(dim=True)


class QuestionBody(Widget):
    """The stem and the four options, drawn line by line into a region that never changes size.

    A question screen that is a stack of widgets of varying height relays out the whole screen
    (twice: once for the change, once for the sizes it changed) on every move to another
    question. This widget fills the space between the navigator and the keys, wraps each
    text once per width and keeps the lines, and scrolls itself: a move or an answer is one
    repaint of one region. The rightmost column is a scroll bar when the question is longer
    than the region.
    """

    DEFAULT_CSS = """
    QuestionBody { height: 1fr; padding: 0 1; }
    """
    MAX_CACHED = 512  # wrapped texts kept; 80 stems and their options in a few states each

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.stem = Text()
        self.options: tuple[Text, ...] = ()
        self.top_line = 0  # first content line shown
        self._lines: list[Strip] = []
        self._spans: list[tuple[int, int]] = []  # the content lines of each option
        self._wrapped: dict[tuple[str, str, int, Style], list[Strip]] = {}
        self._width = -1
        self._rows: list[Strip] = []  # what each visible row shows, ready to hand to the compositor
        self._row_keys: list[tuple[int, str]] = []
        self._composed: dict[tuple[int, str], tuple[Strip, Style, Strip]] = {}
        self._blank_line = Strip.blank(0)
        self._blank_style = Style()

    def option(self, index: int) -> Text:
        """The text of one option as drawn (for tests and accessibility readers)."""
        return self.options[index]

    def show(self, stem: Text, options: tuple[Text, ...], highlight: int, top: bool = False) -> None:
        """Draw a question; ``top`` scrolls to its start (a new question), else the highlight stays in view."""
        self.stem, self.options = stem, options
        self._arrange()
        if top:
            self.top_line = 0
        self._keep_in_view(highlight)
        self._repaint()

    def scroll_by(self, lines: int) -> None:
        self.top_line = max(0, min(self.top_line + lines, self._max_offset()))
        self._repaint()

    # -- drawing ---------------------------------------------------------------------

    def _wrap(self, text: Text, width: int, indent: int) -> list[Strip]:
        """The text's lines at this width, in the widget's style, from the cache when seen before."""
        base = self.rich_style
        key = (text.plain, repr(text.spans) + str(text.style), width + 1000 * indent, base)
        strips = self._wrapped.get(key)
        if strips is None:
            console = self.app.console
            strips = []
            for line in text.wrap(console, max(1, width - indent)):
                segments = list(line.render(console))
                if indent:
                    segments.insert(0, Segment(" " * indent))
                strip = Strip(segments).adjust_cell_length(width)
                strips.append(Strip(Segment.apply_style(strip, base), width))
            if len(self._wrapped) >= self.MAX_CACHED:
                self._wrapped.pop(next(iter(self._wrapped)))
            self._wrapped[key] = strips
        return strips

    def _arrange(self) -> None:
        width = max(1, self.size.width - 1)  # the last column is the scroll bar
        self._width = self.size.width
        blank = self._blank(width)
        lines = [*self._wrap(self.stem, width, 0), blank]
        spans = []
        for text in self.options:
            first = len(lines)
            lines.extend(self._wrap(text, width, 1))
            spans.append((first, len(lines)))
            lines.append(blank)
        self._lines, self._spans = lines, spans

    def _blank(self, width: int) -> Strip:
        """One blank line per width, the same object every time, so that blank rows compare unchanged."""
        base = self.rich_style
        if self._blank_line.cell_length != width or self._blank_style != base:
            self._blank_line, self._blank_style = Strip.blank(width, base), base
        return self._blank_line

    def _max_offset(self) -> int:
        return max(0, len(self._lines) - self.size.height)

    def _keep_in_view(self, highlight: int) -> None:
        if 0 <= highlight < len(self._spans):
            first, end = self._spans[highlight]
            height = max(1, self.size.height)
            if first < self.top_line:
                self.top_line = first
            elif end > self.top_line + height:
                self.top_line = min(first, end - height)
        self.top_line = max(0, min(self.top_line, self._max_offset()))

    def _repaint(self) -> None:
        """Compose the visible rows and mark only the rows that changed: an answer repaints two
        options' lines, not the region."""
        changed = self._compose_rows()
        if len(changed) > self.size.height // 2:
            self.refresh()
        else:
            self.refresh(*(Region(0, y, self.outer_size.width, 1) for y in changed))

    def _compose_rows(self) -> list[int]:
        """The visible rows from the cached lines; returns the rows that differ from before."""
        height, width = self.size.height, max(1, self.size.width - 1)
        base = self.rich_style
        blank = self._blank(width)
        bars = self._bars(height, base)
        rows, keys, changed = [], [], []
        for y in range(height):
            index = self.top_line + y
            line = self._lines[index] if index < len(self._lines) else blank
            bar = bars[y]
            key = (id(line), bar.text)
            reuse = y < len(self._row_keys) and self._row_keys[y] == key
            if reuse:
                rows.append(self._rows[y])
            else:
                cached = self._composed.get(key)
                if cached is None or cached[0] is not line or cached[1] != base:
                    # The line is kept beside its row so that its id cannot be reused while cached.
                    cached = (line, base, Strip([*line, bar], width + 1))
                    if len(self._composed) >= self.MAX_CACHED:
                        self._composed.pop(next(iter(self._composed)))
                    self._composed[key] = cached
                rows.append(cached[2])
            keys.append(key)
            if not reuse:
                changed.append(y)
        self._rows, self._row_keys = rows, keys
        return changed

    def prepare(self, stem: Text, options: tuple[Text, ...]) -> None:
        """Wrap a question that is likely to be shown next, while the candidate reads this one."""
        width = max(1, self.size.width - 1)
        self._wrap(stem, width, 0)
        for text in options:
            self._wrap(text, width, 1)

    def render_line(self, y: int) -> Strip:
        if self._width != self.size.width or len(self._rows) != self.size.height:
            self._arrange()  # first paint or a new size: compose here, the compositor is already drawing
            self._row_keys = []
            self._compose_rows()
        return self._rows[y] if y < len(self._rows) else Strip.blank(self.size.width)

    def _bars(self, height: int, base: Style) -> list[Segment]:
        """The scroll bar's cell on each visible row: blank when the question fits."""
        total = len(self._lines)
        if total <= height or height <= 0:
            return [Segment(" ", base)] * max(0, height)
        thumb_start = self.top_line * height // total
        thumb_end = max(thumb_start + 1, (self.top_line + height) * height // total)
        style = base + _BAR
        return [Segment("#" if thumb_start <= y < thumb_end else "|", style) for y in range(height)]

    # -- input -----------------------------------------------------------------------

    def on_resize(self) -> None:
        self._arrange()
        self.top_line = min(self.top_line, self._max_offset())
        self._row_keys = []
        self._repaint()

    def on_mouse_scroll_down(self) -> None:
        self.scroll_by(1)

    def on_mouse_scroll_up(self) -> None:
        self.scroll_by(-1)

    def on_click(self, event: Click) -> None:
        line = self.top_line + event.y
        for index, (first, end) in enumerate(self._spans):
            if first <= line < end:
                self.post_message(OptionClicked(index))
