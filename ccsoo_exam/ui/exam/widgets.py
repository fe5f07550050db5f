"""Small exam widgets: status bar, navigator strip and option rows.

They get values as attributes and render them; they hold no sitting state of their own.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from ccsoo_exam.store.sittings import ResponseState
from ccsoo_exam.text import literal
from ccsoo_exam.ui.exam.messages import OptionClicked

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
        self.update(text)


class Navigator(Static):
    """All questions in rows of 20: one symbol each, the current one in brackets, e.g. "[+]".

    The brackets mark the current question without colour (a monochrome screen, a braille
    line); reverse video repeats it for the eye."""

    DEFAULT_CSS = """
    Navigator { height: auto; padding: 0 1; color: $text-muted; }
    """

    def show(self, states: list[ResponseState], current: int) -> None:
        text = Text()
        for row, row_start in enumerate(range(0, len(states), PER_ROW)):
            cells = states[row_start : row_start + PER_ROW]
            text.append(f"{row_start + 1:>2}-{row_start + len(cells):<2} ")
            for state in cells:
                if state.position != row_start and state.position % 10 == 0:
                    text.append(" ")
                mark = symbol(state)
                if state.position == current:
                    text.append(f"[{mark}]", style="bold reverse")
                else:
                    text.append(f" {mark} ", style="bold" if state.answer else "")
            if row < len(LEGEND):
                text.append(" " + LEGEND[row])
            text.append("\n")
        text.rstrip()
        self.update(text)


class OptionRow(Widget):
    """One option: its letter, a chosen marker, and a strike-out marker with its style.

    State is drawn into the text itself, not with CSS classes (a class change restyles the
    widget), and choosing an option keeps the text the same length, so the row repaints
    without a new layout. Both keep an answering keypress cheap.
    """

    DEFAULT_CSS = """
    OptionRow { height: auto; padding: 0; }
    """

    PREFIX = 8  # ">(*) A. ": the option text wraps under itself, not under the marks

    def __init__(self, index: int) -> None:
        super().__init__(id=f"option-{index}")
        self.index = index
        self._text = Text()
        self._grid: RenderableType = self._text

    def render(self) -> RenderableType:
        return self._grid

    @property
    def content(self) -> Text:
        return self._text

    def show(self, letter: str, text: str, chosen: bool, struck: bool, highlighted: bool) -> None:
        base = "bold" if chosen else ""
        line = Text(f"{'>' if highlighted else ' '}{'(*)' if chosen else '( )'} ", style=base)
        line.append(f"{letter}.", style="bold reverse" if highlighted else "bold")
        line.append(" ")
        if struck:
            line.append("[ruled out] ", style="italic")
            line.append(literal(text), style="strike dim")
        else:
            line.append(literal(text), style=base)
        relayout = line.plain != self._text.plain and len(line.plain) != len(self._text.plain)
        self._text = line
        grid = Table.grid(padding=0, expand=True)
        grid.add_column(width=self.PREFIX, no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(line[: self.PREFIX], line[self.PREFIX :])
        self._grid = grid
        self.refresh(layout=relayout)

    def on_click(self) -> None:
        self.post_message(OptionClicked(self.index))
