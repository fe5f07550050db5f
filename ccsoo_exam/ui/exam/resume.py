"""Resuming a sitting after a crash, power cut or restart: the proctor confirms."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from ccsoo_exam.ledger import Interruption, format_clock
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.text import literal


class ResumeScreen(Screen[bool]):
    CSS_PATH = "resume.tcss"

    def __init__(self, live: LiveSitting, interruption: Interruption | None) -> None:
        super().__init__()
        self.live = live
        self.interruption = interruption

    def compose(self) -> ComposeResult:
        live, record = self.live, self.live.record
        paused = self.interruption is not None and self.interruption.state == "paused"
        state = (
            "PAUSED by the proctor when it stopped; it stays paused until you resume it (ctrl+o)"
            if paused
            else "running when it stopped"
        )
        gap = self.interruption.describe() if self.interruption else "not logged (the log could not be written)"
        with Vertical(id="panel"):
            yield Static("PROCTOR: a sitting was interrupted on this terminal", id="title")
            yield Static(
                f"Candidate        {literal(record.candidate_id)} {literal(record.candidate_name)}\n"
                f"Question         {live.position + 1} of {live.count}\n"
                f"Answered         {live.answered()}   Flagged {live.flagged()}\n"
                f"Time left        {format_clock(live.ledger.remaining)} "
                "(the clock stopped while the program was down)\n"
                f"State            {state}\n"
                f"Interruption     {gap}",
                id="details",
                markup=False,
            )
            yield Button(
                "Open the sitting (still paused)" if paused else "Resume the sitting", id="resume", variant="primary"
            )

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    @on(Button.Pressed, "#resume")
    def _resume(self) -> None:
        self.dismiss(True)
