"""Small exam widgets: status bar, navigator strip and option rows.

They get values as attributes and render them; they hold no sitting state of their own.
"""

from __future__ import annotations

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
        self.update(text)


class Navigator(Static):
    """All questions in two rows of 40: one symbol each, the current one bracketed."""

    DEFAULT_CSS = """
    Navigator { height: 2; padding: 0 1; color: $text-muted; }
    """

    def show(self, states: list[ResponseState], current: int) -> None:
        text = Text()
        for row_start in range(0, len(states), 40):
            row = states[row_start : row_start + 40]
            text.append(f"{row_start + 1:>2}-{row_start + len(row):<2} ")
            for state in row:
                if state.position and state.position % 10 == 0 and state.position != row_start:
                    text.append(" ")
                mark = symbol(state)
                if state.position == current:
                    text.append(mark, style="bold reverse underline")
                else:
                    text.append(mark, style="bold" if state.answer else "")
            text.append("   " + LEGEND[min(row_start // 40, 1)])
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
    OptionRow { height: auto; padding: 0 1; margin: 0 0 1 0; }
    """

    def __init__(self, index: int) -> None:
        super().__init__(id=f"option-{index}")
        self.index = index
        self._text = Text()

    def render(self) -> Text:
        return self._text

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
        self.refresh(layout=relayout)

    def on_click(self) -> None:
        self.post_message(OptionClicked(self.index))
