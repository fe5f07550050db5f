"""Resuming a sitting after a crash, power cut or restart: the proctor confirms."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from ccsoo_exam.ledger import format_clock
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.text import literal


class ResumeScreen(Screen[bool]):
    CSS_PATH = "resume.tcss"

    def __init__(self, live: LiveSitting, gap_seconds: float) -> None:
        super().__init__()
        self.live = live
        self.gap_seconds = gap_seconds

    def compose(self) -> ComposeResult:
        live, record = self.live, self.live.record
        with Vertical(id="panel"):
            yield Static("PROCTOR: a sitting was interrupted on this terminal", id="title")
            yield Static(
                f"Candidate        {literal(record.candidate_id)} {literal(record.candidate_name)}\n"
                f"Question         {live.position + 1} of {live.count}\n"
                f"Answered         {live.answered()}   Flagged {live.flagged()}\n"
                f"Time left        {format_clock(live.ledger.remaining)} "
                "(the clock stopped while the program was down)\n"
                f"Interruption     {format_clock(self.gap_seconds)} since the last saved event (logged)",
                id="details",
                markup=False,
            )
            yield Button("Resume the sitting", id="resume", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    @on(Button.Pressed, "#resume")
    def _resume(self) -> None:
        self.dismiss(True)
