"""Check-in: who is sitting, and the accommodations that change their time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select, Static

from ccsoo_exam.store.checkin_roster import RosterEntry
from ccsoo_exam.store.sittings import ACCESSIBILITY
from ccsoo_exam.text import INPUT_RESTRICT, literal_line
from ccsoo_exam.ui.exam.accessibility import LABELS, READ_ALOUD
from ccsoo_exam.ui.exam.glyphs import TickBox
from ccsoo_exam.ui.typeahead import settled

CANDIDATE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
EXTRA_TIME = [("None", 1.0), ("+25% time", 1.25), ("+50% time", 1.5), ("+100% time (double)", 2.0)]


@dataclass(frozen=True)
class CheckIn:
    candidate_id: str
    name: str
    multiplier: float
    accessibility: frozenset[str] = field(default_factory=frozenset)


class CheckInScreen(Screen[CheckIn]):
    """The proctor types id, tab, name, enter, often in one burst.

    Textual hands each key to the widget focused when the key is *dispatched*, and moves
    focus only when a handler runs later, so a tab typed quickly after the id used to leave
    the name in the id field. Tab, shift+tab and enter are therefore priority bindings while
    a text field has focus: they move focus as the key is dispatched, and before continuing
    the screen waits until both fields have taken in every key already sent to them.
    """

    CSS_PATH = "checkin.tcss"
    BINDINGS = [
        Binding("tab", "move(1)", show=False, priority=True),
        Binding("shift+tab", "move(-1)", show=False, priority=True),
        Binding("enter", "enter", show=False, priority=True),
    ]

    def __init__(self, roster: dict[str, RosterEntry], read_aloud: bool = False) -> None:
        super().__init__()
        self.roster = roster
        self.read_aloud = read_aloud  # offered only where a speech engine is installed

    def compose(self) -> ComposeResult:
        with Vertical(id="panel"):
            yield Static("PROCTOR: check the candidate in", id="title")
            yield Label("Candidate id")
            yield Input(id="candidate", placeholder="e.g. C-2026-0042", max_length=40, restrict=INPUT_RESTRICT)
            yield Label("Candidate name" + (" (filled from the roster)" if self.roster else ""))
            yield Input(id="name", max_length=120, restrict=INPUT_RESTRICT)
            yield Label("Accommodation")
            yield Select(EXTRA_TIME, value=1.0, allow_blank=False, id="extra")
            yield Label("Accessibility (Space ticks; kept with the sitting)")
            for mode in ACCESSIBILITY:
                if mode == READ_ALOUD and not self.read_aloud:
                    continue
                yield TickBox(LABELS[mode], id=f"mode-{mode}", classes="mode")
            yield Static("", id="message", markup=False)
            yield Button("Continue", id="continue", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#candidate", Input).focus()

    def _fields(self) -> tuple[Input, Input]:
        return self.query_one("#candidate", Input), self.query_one("#name", Input)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Only the two text fields need keys routed at dispatch; the accommodation list and
        # the button keep Textual's own tab and enter.
        if action == "enter":  # from an accommodation box too, as from a field
            return self.focused in self._fields() or isinstance(self.focused, TickBox)
        return True

    def action_move(self, step: int) -> None:
        candidate, name = self._fields()
        if self.focused is candidate:
            self.set_focus(name if step > 0 else self.query_one("#continue", Button))
        elif self.focused is name:
            self.set_focus(self.query_one("#extra", Select) if step > 0 else candidate)
        elif step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    async def action_enter(self) -> None:
        candidate, name = self._fields()
        if isinstance(self.focused, TickBox):
            self._continue()
            return
        if self.focused is candidate and not name.value.strip():
            self.set_focus(name)  # id, enter, name, enter: the name is next
            return
        await settled(candidate, name)
        self._continue()

    @on(Input.Changed, "#candidate")
    def _look_up(self, event: Input.Changed) -> None:
        entry = self.roster.get(event.value.strip())
        if entry is None:
            return
        self.query_one("#name", Input).value = literal_line(entry.name)
        extra = self.query_one("#extra", Select)
        if entry.multiplier not in {value for _, value in EXTRA_TIME}:
            # The roster may grant any percentage; offer exactly that one rather than round it.
            percent = round((entry.multiplier - 1) * 100)
            extra.set_options([*EXTRA_TIME, (f"+{percent}% time (roster)", entry.multiplier)])
        extra.value = entry.multiplier
        notes = []
        if entry.route and entry.route != "exam":
            notes.append(f"the roster puts {entry.candidate_id} on the {entry.route} route")
        if entry.eligibility and entry.eligibility != "eligible":
            notes.append(f"eligibility: {entry.eligibility}")
        self.query_one("#message", Static).update(
            literal_line("Check with the administrator: " + "; ".join(notes) + ".") if notes else ""
        )

    def action_continue(self) -> None:
        self._continue()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        candidate = self.query_one("#candidate", Input).value.strip()
        name = self.query_one("#name", Input).value.strip()
        if not CANDIDATE_ID.fullmatch(candidate):
            self.query_one("#message", Static).update("Enter the candidate id (letters, digits, '-', '_' or '.').")
            self.query_one("#candidate", Input).focus()
            return
        if not name:
            self.query_one("#message", Static).update(
                "Enter the candidate's name as on their photo ID (the roster fills it in when the id is on it)."
            )
            self.query_one("#name", Input).focus()
            return
        if self.roster and candidate not in self.roster:
            self.query_one("#message", Static).update(
                f"{candidate} is not on the roster for this session. Check the id."
            )
            return
        multiplier = self.query_one("#extra", Select).value
        modes = frozenset(
            str(box.id).removeprefix("mode-") for box in self.query(".mode").results(TickBox) if box.value
        )
        self.dismiss(CheckIn(candidate, name, float(multiplier) if isinstance(multiplier, float) else 1.0, modes))
