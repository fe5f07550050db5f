"""Instructions and the confidentiality agreement: accepted before the clock starts."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Static

from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.ledger import format_clock
from ccsoo_exam.text import literal
from ccsoo_exam.ui.exam.glyphs import TickBox


class InstructionsScreen(Screen[bool]):
    CSS_PATH = "instructions.tcss"

    def __init__(self, definition: ExamDefinition, candidate: str, allowance_seconds: float, name: str = "") -> None:
        super().__init__()
        self.definition = definition
        self.candidate = candidate
        self.candidate_name = name
        self.allowance_seconds = allowance_seconds

    def compose(self) -> ComposeResult:
        d = self.definition
        with Vertical(id="panel"):
            yield Static(
                literal(
                    f"{d.title}\nCandidate {self.candidate} - {d.item_count} questions - "
                    f"time allowed {format_clock(self.allowance_seconds)}"
                ),
                id="title",
                markup=False,
            )
            with VerticalScroll(id="text"):
                yield Static(
                    literal(d.instructions or "Answer every question. Each answer is saved when you choose it."),
                    id="instructions",
                    markup=False,
                )
                yield Static("Confidentiality agreement", id="agreement-title")
                yield Static(
                    literal(d.agreement or "I will keep the content of this examination confidential."),
                    id="agreement",
                    markup=False,
                )
                yield Static(
                    "Keys: F1 or ? lists every key, on every screen, and Escape closes the list. "
                    "A-D or 1-4 answer (A-C/1-3 or A-E/1-5 where a question has 3 or 5 options); "
                    "Up/Down and Enter also choose; Left/Right or P/N move; "
                    "F flag; X rules out the highlighted option; G go to a question; R review; "
                    "T hides or shows the timer; J and K scroll a long question; "
                    + ("ctrl+k or = opens the calculator; " if d.calculator == "basic" else "")
                    + "S submit. Raise your hand if you need the proctor.",
                    id="keys",
                )
            # The candidate, not only the proctor, confirms who is sitting: a mixed-up check-in
            # is caught before any answer is given under someone else's name.
            yield TickBox(
                Text(f"I am {self.candidate_name or 'the candidate named above'}, candidate {self.candidate}"),
                id="identity",
            )
            yield TickBox("I have read the instructions and I accept the confidentiality agreement", id="accept")
            yield Button("Start the exam (the clock starts now)", id="start", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#identity", Checkbox).focus()

    def _ready(self) -> bool:
        return self.query_one("#identity", Checkbox).value and self.query_one("#accept", Checkbox).value

    @on(Checkbox.Changed)
    def _accepted(self, _: Checkbox.Changed) -> None:
        self.query_one("#start", Button).disabled = not self._ready()

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        if self._ready():
            self.dismiss(True)
