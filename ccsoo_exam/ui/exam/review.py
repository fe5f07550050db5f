"""Review: every question's state; unanswered and flagged first; Enter jumps to one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ccsoo_exam.ledger import format_clock
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.ui.exam.glyphs import CHECKED, UNCHECKED
from ccsoo_exam.ui.exam.widgets import Navigator, StatusBar


def review_order(live: LiveSitting) -> list[int]:
    """Unanswered first, then flagged, then the rest, each in question order."""

    def rank(position: int) -> tuple[int, int]:
        state = live.responses[position]
        return (0 if state.answer is None else 1 if state.flagged else 2, position)

    return sorted(range(live.count), key=rank)


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
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield Static(
            "Enter go  Esc back  S submit  F1 keys"
            if self.app.has_class("-large-print")
            else "Enter go to it  Escape or R back  S submit  F1 or ? all keys",
            id="keys",
        )

    def on_mount(self) -> None:
        self.query_one(Navigator).show(self.live.responses, self.live.position)
        table = self.query_one(DataTable)
        table.add_columns("Question", "Module", "Answered", "Flag")
        for position in review_order(self.live):
            state = self.live.responses[position]
            current = "  (current)" if position == self.live.position else ""
            table.add_row(
                f"{position + 1:>3}",
                f"{state.item.module}",
                # Text, not str: a str cell is read as markup, and "[x]" would vanish as a tag.
                Text(f"{CHECKED} answered" if state.answer else f"{UNCHECKED} UNANSWERED"),
                Text(("[?] FLAGGED" if state.flagged else "") + current),
                key=str(position),
            )
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

    @on(DataTable.RowSelected)
    def _picked(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(str(event.row_key.value)))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        self.dismiss(-1)
