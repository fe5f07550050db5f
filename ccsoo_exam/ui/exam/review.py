"""Review: every question's state; unanswered and flagged first; Enter jumps to one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Click, MouseScrollDown, MouseScrollUp
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Static

from ccsoo_exam.ledger import format_clock
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.ui.exam.glyphs import CHECKED, UNCHECKED
from ccsoo_exam.ui.exam.widgets import Navigator, StatusBar
from ccsoo_exam.ui.lines import LineWidget


def review_order(live: LiveSitting) -> list[int]:
    """Unanswered first, then flagged, then the rest, each in question order."""

    def rank(position: int) -> tuple[int, int]:
        state = live.responses[position]
        return (0 if state.answer is None else 1 if state.flagged else 2, position)

    return sorted(range(live.count), key=rank)


HEADER = " Question  Module  Answered        Flag"
NARROW_HEADER = "   Q  Mod  Answer  Flag"  # large print: 40 columns
_CURSOR = Style(reverse=True, bold=True)
_HEADER = Style(bold=True, underline=True)


def review_row(position: int, module: int, answered: bool, flagged: bool, current: bool, narrow: bool = False) -> str:
    """One row of the review list; every state in characters, never by colour alone."""
    if narrow:
        state = f"{CHECKED} ans" if answered else f"{UNCHECKED} OPEN"
        flag = ("[?]" if flagged else "") + (" (now)" if current else "")
        return f" {position + 1:>3}  {module:<3}  {state:<8}{flag}".rstrip()
    state = f"{CHECKED} answered" if answered else f"{UNCHECKED} UNANSWERED"
    flag = ("[?] FLAGGED" if flagged else "") + ("  (current)" if current else "")
    return f" {position + 1:>5}     {module:<6}  {state:<15} {flag}".rstrip()


class ReviewList(LineWidget, can_focus=True):
    """Every question's state, one row each under a header, with a cursor row.

    Drawn line by line (a table widget took most of a tenth of a second to open): Up and
    Down move the cursor and repaint two rows; Enter picks the question under it."""

    DEFAULT_CSS = """
    ReviewList { height: 1fr; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "ends(0)", show=False),
        Binding("end", "ends(1)", show=False),
        Binding("enter", "pick", show=False),
    ]

    @dataclass
    class Picked(Message):
        position: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.positions: list[int] = []
        self.rows: list[str] = []
        self.cursor_row = 0
        self.top = 0  # the first row shown under the header
        self._strips: dict[tuple[str, Style, int], Strip] = {}
        self.header = HEADER

    def show(self, positions: list[int], rows: list[str]) -> None:
        self.positions, self.rows = positions, rows
        self.cursor_row = min(self.cursor_row, max(0, len(rows) - 1))
        self.refresh()

    def _visible(self) -> int:
        return max(1, self.size.height - 1)  # the header takes a line

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        old_row, old_top = self.cursor_row, self.top
        self.cursor_row = max(0, min(row, len(self.rows) - 1))
        visible = self._visible()
        if self.cursor_row < self.top:
            self.top = self.cursor_row
        elif self.cursor_row >= self.top + visible:
            self.top = self.cursor_row - visible + 1
        if self.top != old_top:
            self.refresh()
        else:
            width = self.outer_size.width
            self.refresh(*(Region(0, 1 + r - self.top, width, 1) for r in (old_row, self.cursor_row)))

    def action_move(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step * self._visible())

    def action_ends(self, end: int) -> None:
        self.move_cursor(row=len(self.rows) - 1 if end else 0)

    def action_pick(self) -> None:
        if self.rows:
            self.post_message(self.Picked(self.positions[self.cursor_row]))

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.base_style
        if y == 0:
            text, style = self.header, base + _HEADER
        else:
            index = self.top + y - 1
            if index >= len(self.rows):
                return Strip.blank(width, base)
            text = self.rows[index]
            style = base + _CURSOR if index == self.cursor_row else base
        key = (text, style, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = Strip(list(Text(text, style=style).render(self.app.console))).crop_extend(0, width, style)
            if len(self._strips) > 512:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips = {}

    def on_click(self, event: Click) -> None:
        index = self.top + event.y - 1
        if event.y >= 1 and index < len(self.rows):
            self.move_cursor(row=index)
            self.action_pick()

    def _on_mouse_scroll_down(self, event: MouseScrollDown) -> None:
        event.stop()
        self.action_move(1)

    def _on_mouse_scroll_up(self, event: MouseScrollUp) -> None:
        event.stop()
        self.action_move(-1)


class ReviewScreen(Screen[int | None]):
    CSS_PATH = "review.tcss"
    BINDINGS = [
        Binding("escape,r", "back", "Back to the question", show=False),
        Binding("s", "submit", "Submit", show=False),
    ]

    def __init__(self, live: LiveSitting) -> None:
        super().__init__()
        self.live = live
        self._clock = ""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="summary")
        yield Navigator(id="navigator")
        yield ReviewList(id="table")
        yield Static(
            "Enter go  Esc back  S submit  F1 keys"
            if self.app.has_class("-large-print")
            else "Enter go to it  Escape or R back  S submit  F1 or ? all keys",
            id="keys",
        )

    def on_mount(self) -> None:
        self.query_one(Navigator).show(self.live.responses, self.live.position)
        live = self.live
        order = review_order(live)
        narrow = self.app.has_class("-large-print")
        rows = [
            review_row(
                p,
                live.responses[p].item.module,
                live.responses[p].answer is not None,
                live.responses[p].flagged,
                p == live.position,
                narrow,
            )
            for p in order
        ]
        table = self.query_one(ReviewList)
        table.header = NARROW_HEADER if narrow else HEADER
        table.show(order, rows)
        table.focus()
        self.refresh_status()

    def refresh_status(self) -> None:
        """The countdown keeps running here too (the app calls this once a second)."""
        live = self.live
        clock = "" if live.timer_hidden else format_clock(live.ledger.remaining)
        if clock == self._clock and self._clock:
            return
        self._clock = clock
        unanswered = live.count - live.answered()
        if self.app.has_class("-large-print"):  # 40 columns: the short form
            self.query_one(StatusBar).update(f"REVIEW {live.answered()}/{live.count} done  {clock}".rstrip())
            return
        summary = (
            f"REVIEW  Answered {live.answered()} of {live.count}  Unanswered {unanswered}  Flagged {live.flagged()}"
        )
        self.query_one(StatusBar).show(summary, "", clock)

    @on(ReviewList.Picked)
    def _picked(self, event: ReviewList.Picked) -> None:
        self.dismiss(event.position)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        self.dismiss(-1)
