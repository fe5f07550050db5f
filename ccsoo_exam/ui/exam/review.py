"""Review: every question's state; unanswered and flagged first; Enter jumps to one."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.ui.exam.widgets import Navigator


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

    def compose(self) -> ComposeResult:
        live = self.live
        unanswered = live.count - live.answered()
        yield Static(
            f"REVIEW  Answered {live.answered()} of {live.count}  Unanswered {unanswered}  Flagged {live.flagged()}",
            id="summary",
        )
        yield Navigator(id="navigator")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield Static("Enter: go to the question   Escape or R: back to the question   S: submit", id="keys")

    def on_mount(self) -> None:
        self.query_one(Navigator).show(self.live.responses, self.live.position)
        table = self.query_one(DataTable)
        table.add_columns("Question", "Module", "State", "Flag")
        for position in review_order(self.live):
            state = self.live.responses[position]
            table.add_row(
                f"{position + 1:>3}",
                f"{state.item.module}",
                "answered" if state.answer else "UNANSWERED",
                "FLAGGED" if state.flagged else "",
                key=str(position),
            )
        table.focus()

    @on(DataTable.RowSelected)
    def _picked(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(str(event.row_key.value)))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        self.dismiss(-1)
