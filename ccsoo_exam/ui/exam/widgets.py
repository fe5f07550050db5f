"""Small exam widgets: the status bar, the navigator and the text of an option.

They get values as attributes and render them; they hold no sitting state of their own.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip

from ccsoo_exam.store.sittings import ResponseState
from ccsoo_exam.text import literal
from ccsoo_exam.ui.lines import LineWidget

# ASCII symbols: a plain Linux console font has none of the pretty ones, and state must
# never be told by colour alone.
SYMBOL_OPEN = "-"
SYMBOL_ANSWERED = "+"
SYMBOL_FLAGGED = "?"
SYMBOL_FLAGGED_ANSWERED = "!"
LEGEND = (
    f"{SYMBOL_ANSWERED} answered",
    f"{SYMBOL_OPEN} open",
    f"{SYMBOL_FLAGGED} flagged",
    f"{SYMBOL_FLAGGED_ANSWERED} flag+ans",
)
PER_ROW = 20  # 4 rows of 20 three-cell marks, a legend beside each: 78 columns in all


def symbol(state: ResponseState) -> str:
    if state.flagged:
        return SYMBOL_FLAGGED_ANSWERED if state.answer else SYMBOL_FLAGGED
    return SYMBOL_ANSWERED if state.answer else SYMBOL_OPEN


class StatusBar(LineWidget):
    """Where the candidate is, how much is done, whether it is saved, and the time left.

    One line, drawn by the widget itself: a change is a repaint of that line, never a
    layout, and costs a fraction of a Static's update (which builds its content anew)."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $primary; color: $text; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._strip: Strip | None = None

    @property
    def content(self) -> Text:
        return self._text

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
        width = max(0, (self.size.width or 78) - text.cell_len - right.cell_len)
        text.append(" " * width)
        text.append_text(right)
        self.update(text)

    def update(self, text: Text | str) -> None:
        """Show one line of literal text (a str is never read as markup)."""
        self._text = text if isinstance(text, Text) else Text(text)
        self._strip = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.base_style
        if y:
            return Strip.blank(width, base)
        if self._strip is None or self._strip.cell_length != width:
            segments = list(self._text.render(self.app.console))
            self._strip = Strip(segments).crop_extend(0, width, base).apply_style(base)
        return self._strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strip = None


class Navigator(LineWidget):
    """All questions in rows of 20: one symbol each, the current one in brackets, e.g. "[+]".

    The brackets mark the current question without colour (a monochrome screen, a braille
    line); reverse video repeats it for the eye. Drawn row by row: a move or an answer
    changes one or two symbols, so only the rows holding them are rebuilt and repainted,
    and the widget's height changes only with the number of questions, never on a key.
    """

    DEFAULT_CSS = """
    Navigator { height: 4; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[tuple] = []
        self._texts: list[Text] = []
        self._strips: dict[int, Strip] = {}
        self._drawn_for: tuple | None = None

    def show(self, states: list[ResponseState], current: int) -> None:
        rows = -(-len(states) // PER_ROW) + self.styles.gutter.height  # a border takes lines too
        if self.styles.height is None or self.styles.height.value != rows:
            self.styles.height = rows  # once per sitting: the form's length
        keys, texts = [], []
        for number, row_start in enumerate(range(0, len(states), PER_ROW)):
            cells = states[row_start : row_start + PER_ROW]
            key = (row_start, tuple((symbol(s), s.position == current, bool(s.answer)) for s in cells))
            keys.append(key)
            if number < len(self._keys) and self._keys[number] == key:
                texts.append(self._texts[number])
                continue
            texts.append(self._row(number, row_start, cells, current))
            self._strips.pop(number, None)
            self.refresh(Region(0, number, self.outer_size.width, 1))
        self._keys, self._texts = keys, texts

    @staticmethod
    def _row(number: int, row_start: int, cells: list[ResponseState], current: int) -> Text:
        text = Text(f"{row_start + 1:>2}-{row_start + len(cells):<2} ")
        for state in cells:
            if state.position != row_start and state.position % 10 == 0:
                text.append(" ")
            mark = symbol(state)
            if state.position == current:
                text.append(f"[{mark}]", style="bold reverse")
            else:
                text.append(f" {mark} ", style="bold" if state.answer else "")
        if number < len(LEGEND):
            text.append(" " + LEGEND[number])
        return text

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.base_style
        if self._drawn_for != (width, base):
            self._drawn_for = (width, base)
            self._strips = {}
        strip = self._strips.get(y)
        if strip is None:
            if y >= len(self._texts):
                return Strip.blank(width, base)
            segments = list(self._texts[y].render(self.app.console))
            strip = Strip(segments).crop_extend(0, width, base).apply_style(base)
            self._strips[y] = strip
        return strip


def option_text(letter: str, text: str, chosen: bool, struck: bool, highlighted: bool) -> Text:
    """One option as drawn: the highlight, a chosen marker, its letter, then its text.

    State is drawn into the text itself, never with CSS classes (a class change restyles the
    whole screen), and never by colour alone. The first ``body.PREFIX`` cells are the marks;
    the text wraps under itself."""
    base = "bold" if chosen else ""
    line = Text(f"{'>' if highlighted else ' '}{'(*)' if chosen else '( )'} ", style=base)
    line.append(f"{letter}.", style="bold reverse" if highlighted else "bold")
    line.append(" ")
    if struck:
        line.append("[ruled out] ", style="italic")
        line.append(literal(text), style="strike dim")
    else:
        line.append(literal(text), style=base)
    return line
