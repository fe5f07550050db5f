"""Instructions and the confidentiality agreement: accepted before the clock starts."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Static

from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.ledger import format_clock
from ccsoo_exam.text import literal
from ccsoo_exam.ui.exam.glyphs import TickBox


class InstructionsScreen(Screen[bool]):
    """Instructions, the agreement, two boxes to tick and the Start button.

    A candidate types Space, Tab, Space, Tab, Enter, often in one burst. Textual hands each
    key to the widget focused when the key is dispatched and moves focus only when a handler
    runs later, and Tab skips a button still disabled: the Enter of a burst could reach a
    box instead of Start, or Start before it was enabled. On the boxes and the button these
    keys are therefore priority bindings: they tick, move focus and start as each key is
    dispatched, in the order typed (see ``ccsoo_exam.ui.typeahead``).
    """

    CSS_PATH = "instructions.tcss"
    BINDINGS = [
        Binding("tab", "move(1)", show=False, priority=True),
        Binding("shift+tab", "move(-1)", show=False, priority=True),
        Binding("space", "tick", show=False, priority=True),
        Binding("enter", "start", show=False, priority=True),
    ]

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

    def _order(self) -> list[Widget]:
        """The focus cycle, in screen order: the instructions (to scroll them), the boxes, Start."""
        return [
            self.query_one("#text"),
            self.query_one("#identity"),
            self.query_one("#accept"),
            self.query_one("#start"),
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Space and Enter on the boxes and the button only; the instructions keep their own keys.
        if action in ("move", "tick", "start"):
            order = self._order()
            if self.focused not in order:
                return False
            if action == "tick":
                return isinstance(self.focused, Checkbox)
            if action == "start":
                return self.focused is order[-1]
        return True

    def action_move(self, step: int) -> None:
        order = [widget for widget in self._order() if not widget.disabled]
        assert self.focused is not None
        index = order.index(self.focused) if self.focused in order else 0
        self.set_focus(order[(index + step) % len(order)])

    def action_tick(self) -> None:
        box = self.focused
        assert isinstance(box, Checkbox)
        box.value = not box.value
        self._enable()

    def action_start(self) -> None:
        self._start()

    def _enable(self) -> None:
        self.query_one("#start", Button).disabled = not self._ready()

    @on(Checkbox.Changed)
    def _accepted(self, _: Checkbox.Changed) -> None:
        self._enable()  # a click on a box

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        if self._ready():
            self.dismiss(True)
