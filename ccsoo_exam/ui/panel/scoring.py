"""The scoring screen: one panelist's sheet for one candidate, phase by phase.

The story: start the phase timer as the candidate begins; move through the criteria,
reading the descriptors; press the level's number; add notes as things are seen; switch
to the discussion phase; finalise when every criterion is scored. Each change is one
store call that commits before the screen shows it, so a crash loses nothing shown:
timer starts and stops too, so a reopened sheet shows each phase's time where it was
(a timer left running has kept running, by the wall clock, while the program was down).
A conflict of interest found halfway (``c``) seals the sheet as a recusal; a sheet opened
by mistake and never scored is voided (``v``) with a reason. Messages go to a status line
of their own under the notes, never over the descriptor being read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Static

from ccsoo_exam.errors import CcsooError
from ccsoo_exam.rubric import Phase
from ccsoo_exam.scoresheet import (
    LEVEL,
    NOTE,
    Lap,
    Scoresheet,
    TimerEvent,
    restore_laps,
    running_since,
    seal_problems,
    stop_timers,
    toggle_timer,
    unscored,
    weighted_percentage,
)
from ccsoo_exam.store import scoresheets as store
from ccsoo_exam.text import literal, literal_line
from ccsoo_exam.ui.panel.context import PanelContext
from ccsoo_exam.ui.panel.criteria import CriterionList
from ccsoo_exam.ui.panel.descriptor import LevelDescriptor
from ccsoo_exam.ui.panel.messages import CriterionHighlighted, LevelBrowsed, LevelChosen, PhaseOverrun, Said
from ccsoo_exam.ui.panel.modals import ConfirmScreen, LateConflictScreen, NoteScreen, ReasonScreen
from ccsoo_exam.ui.panel.status import StatusLine
from ccsoo_exam.ui.panel.timer import PhaseTimer
from ccsoo_exam.ui.typeahead import settled


class ScoringScreen(Screen[str | None]):
    """Scores, notes, the phase timer and finalising for one sheet."""

    CSS_PATH = "scoring.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Every key of this screen is a priority binding (the screen has no text box of its
        # own): resolved as dispatched, so keys typed ahead apply in order (typeahead.py).
        Binding("tab,right_square_bracket", "phase(1)", "Next phase", priority=True),
        Binding("shift+tab,left_square_bracket", "phase(-1)", "Prev phase", show=False, priority=True),
        Binding("s", "timer", "Timer", priority=True),
        # A key that opens a text box returns once the box has focus, so a note typed straight
        # after 'n' goes into the note and a digit in it never scores a criterion.
        Binding("n", "note", "Note", priority=True),
        Binding("u", "undo", "Undo", priority=True),
        Binding("f", "finalise", "Finalise", priority=True),
        Binding("c", "conflict", "Conflict", priority=True),
        Binding("v", "void", "Void", show=False, priority=True),
        Binding("escape", "leave", "Candidates", priority=True),
    ]

    def __init__(self, context: PanelContext, sheet: Scoresheet) -> None:
        super().__init__()
        self.context = context
        self.rubric = context.rubric
        self.sheet = sheet
        self.phase_index = 0
        self.saved_at = ""

    @property
    def phase(self) -> Phase:
        return self.rubric.phases[self.phase_index]

    def compose(self) -> ComposeResult:
        yield Static(id="sheet-header")
        with Horizontal(id="phase-bar"):
            yield Static(id="phase-title")
            yield PhaseTimer(self.rubric.phases, self.context.clock, id="timer")
        yield CriterionList(self.rubric, id="criteria")
        with VerticalScroll(id="descriptor-box"):
            yield LevelDescriptor(id="descriptor")
        yield Static(id="notes")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.restore_timers()
        self.show_phase()
        # Focused now, not after a refresh: keys typed ahead are already on their way here.
        self.set_focus(self.query_one(CriterionList))

    def restore_timers(self) -> None:
        """Put the phase timers back as the store has them, and show the phase whose timer runs."""
        events = store.timer_events(self.context.conn, self.sheet.sheet_id)
        phase_ids = [p.id for p in self.rubric.phases]
        # Only a running timer needs the wall clock: the time since its start is time the presentation went on.
        wall_now = self.context.wall() if running_since(events) else ""
        timer = self.query_one(PhaseTimer)
        timer.show_laps(restore_laps(phase_ids, events, wall_now, self.context.clock()))
        if timer.running_phase is not None:
            self.phase_index = phase_ids.index(timer.running_phase)

    # --- drawing -------------------------------------------------------------------------

    def show_phase(self) -> None:
        criteria = self.rubric.criteria_in(self.phase.id)
        position = f"Phase {self.phase_index + 1}/{len(self.rubric.phases)}"
        self.query_one("#phase-title", Static).update(
            Text.assemble(
                (f"{position}: ", "dim"), (literal(self.phase.title), "bold"), f"  ({self.phase.minutes} min)"
            )
        )
        self.query_one(PhaseTimer).show_phase(self.phase)
        self.query_one(CriterionList).show(criteria, self.sheet)
        self.show_sheet()

    def show_sheet(self) -> None:
        """Redraw everything that depends on the sheet after it changed."""
        self.query_one(CriterionList).show(self.rubric.criteria_in(self.phase.id), self.sheet)
        total = weighted_percentage(self.rubric, self.sheet.levels)
        scored = len(self.rubric.criteria) - len(unscored(self.rubric, self.sheet))
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(literal_line(self.sheet.candidate_id), style="bold")
        header.append(f" · {literal_line(self.sheet.panelist)} · ")
        header.append("—" if total is None else f"{total:.1f}%", style="bold")
        header.append(f" ({scored}/{len(self.rubric.criteria)} scored)")
        if self.sheet.sealed:
            header.append(f" · FINALISED {self.sheet.seal_hash[:8] if self.sheet.seal_hash else ''}", style="bold")
        elif self.saved_at:
            header.append(f" · saved {self.saved_at[11:19]}", style="dim")
        self.query_one("#sheet-header", Static).update(header)
        self.set_class(self.sheet.sealed, "-sealed")
        self.show_criterion()

    def show_criterion(self) -> None:
        criteria = self.query_one(CriterionList)
        criterion = criteria.current
        chosen = self.sheet.levels.get(criterion.id) if criterion else None
        browsed = criteria.browsed.get(criterion.id) if criterion else None
        self.query_one(LevelDescriptor).show(self.rubric, criterion, chosen, browsed)
        notes = self.sheet.notes_for(criterion.id) if criterion else ()
        line = Text(no_wrap=True, overflow="ellipsis")
        if notes:
            last = notes[-1]
            line.append(f"✎ {len(notes)} note{'s' if len(notes) != 1 else ''}; last {last.noted_at[11:16]}: ")
            line.append(literal_line(last.text), style="italic")
        else:
            line.append("✎ no notes on this criterion (n adds one)", style="dim")
        self.query_one("#notes", Static).update(line)

    # --- what the widgets report --------------------------------------------------------

    @on(CriterionHighlighted)
    @on(LevelBrowsed)
    def criterion_moved(self) -> None:
        self.show_criterion()

    @on(LevelChosen)
    def level_chosen(self, event: LevelChosen) -> None:
        self.change(
            lambda at: store.set_level(
                self.context.conn, self.rubric, self.sheet.sheet_id, event.criterion_id, event.level, at
            )
        )

    def say(self, message: str, severity: str = "information") -> None:
        self.query_one(StatusLine).say(message, severity)

    @on(Said)
    def widget_said(self, event: Said) -> None:
        self.say(event.text, event.severity)

    @on(PhaseOverrun)
    def phase_overrun(self, event: PhaseOverrun) -> None:
        title = self.rubric.phase(event.phase_id).title
        self.say(f"{title}: past {self.rubric.phase(event.phase_id).minutes} minutes.", "warning")

    def change(self, write: Callable[[str], Scoresheet]) -> bool:
        """Run one store change; show the new sheet only once it is committed."""
        at = self.context.wall()
        try:
            self.sheet = write(at)
        except CcsooError as error:
            self.say("; ".join(p.message for p in error.problems), "error")
            return False
        self.saved_at = at
        self.show_sheet()
        return True

    # --- keys ---------------------------------------------------------------------------

    def action_phase(self, step: int) -> None:
        self.phase_index = (self.phase_index + step) % len(self.rubric.phases)
        self.show_phase()

    def action_timer(self) -> None:
        if self.sheet.sealed:
            self.say("This sheet is finalised; its timers stopped with it.", "error")
            return
        timer = self.query_one(PhaseTimer)
        laps, events = toggle_timer(timer.laps, self.phase.id, self.context.clock())
        try:
            store.record_timer(self.context.conn, self.rubric, self.sheet.sheet_id, events, self.context.wall())
        except CcsooError as error:
            self.say("; ".join(p.message for p in error.problems), "error")
            return
        timer.show_laps(laps)
        running = laps[self.phase.id].running
        self.say(f"{self.phase.title} timer {'started' if running else 'paused'}.")

    def closing_timers(self) -> tuple[dict[str, Lap], tuple[TimerEvent, ...]]:
        """The laps and stop events for sealing: the running timer stops with the sheet."""
        return stop_timers(self.query_one(PhaseTimer).laps, self.context.clock())

    async def open_box(self, modal: ModalScreen[str | None], callback: Callable[[str | None], None]) -> None:
        """Push a modal with a text box and return once the box has focus (see BINDINGS)."""
        await settled(self.query_one(CriterionList))
        await self.app.push_screen(modal, callback)
        modal.set_focus(modal.query_one(Input))

    async def action_note(self) -> None:
        criterion = self.query_one(CriterionList).current
        if criterion is None:
            return
        if self.sheet.sealed:
            self.say("This sheet is finalised; it cannot be changed.", "error")
            return

        def written(text: str | None) -> None:
            if text:
                self.change(
                    lambda at: store.add_note(
                        self.context.conn, self.rubric, self.sheet.sheet_id, criterion.id, text, at
                    )
                )

        await self.open_box(NoteScreen(criterion.title), written)

    def action_undo(self) -> None:
        undone = []

        def write(at: str) -> Scoresheet:
            sheet, change = store.undo(self.context.conn, self.rubric, self.sheet.sheet_id, at)
            undone.append(change)
            return sheet

        if not self.change(write):
            return
        change = undone[0]
        if change is None:
            self.say("Nothing to undo.")
        elif change.kind == LEVEL:
            title = self.rubric.criterion(change.criterion_id or "").title
            back = "not scored" if change.old_level is None else f"level {change.old_level}"
            self.say(f"Undone: {title} back to {back}.")
        elif change.kind == NOTE:
            self.say(f"Undone: note “{change.text[:40]}”.")

    def action_finalise(self) -> None:
        problems = seal_problems(self.rubric, self.sheet)
        if problems:
            self.say("Cannot finalise: " + "; ".join(problems), "error")
            return
        total = weighted_percentage(self.rubric, self.sheet.levels) or 0.0

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            laps, closing = self.closing_timers()
            if self.change(
                lambda at: store.seal(
                    self.context.conn,
                    self.rubric,
                    self.sheet.sheet_id,
                    at,
                    closing=closing,
                    signer=self.context.signer,
                )
            ):
                self.query_one(PhaseTimer).show_laps(laps)
                self.say(f"Finalised and sealed ({self.sheet.seal_hash[:12] if self.sheet.seal_hash else ''}).")

        self.app.push_screen(
            ConfirmScreen(
                "Finalise this sheet?",
                f"{self.sheet.candidate_id}, scored by {self.sheet.panelist}: {total:.1f}%. "
                "Once finalised the sheet is sealed and can no longer be changed.",
            ),
            answered,
        )

    async def action_conflict(self) -> None:
        """A conflict of interest found during scoring: confirm with a description, then recuse."""
        if self.sheet.sealed:
            self.say("This sheet is finalised; it cannot be changed.", "error")
            return
        scored = len(self.sheet.levels)

        def described(reason: str | None) -> None:
            if not reason:
                return
            _, closing = self.closing_timers()
            if self.change(
                lambda at: store.declare_late_conflict(
                    self.context.conn,
                    self.rubric,
                    self.sheet.sheet_id,
                    reason,
                    at,
                    closing=closing,
                    signer=self.context.signer,
                )
            ):
                self.dismiss(f"Conflict recorded; your sheet for {self.sheet.candidate_id} is sealed as a recusal.")

        await self.open_box(LateConflictScreen(self.sheet.candidate_id, scored, len(self.sheet.notes)), described)

    async def action_void(self) -> None:
        """A sheet opened by mistake (a mistyped candidate id): void it, with a reason, if nothing is scored."""
        if self.sheet.sealed or self.sheet.levels or self.sheet.notes:
            self.say("Only an unscored sheet can be voided (undo its levels and notes first).", "error")
            return

        def given(reason: str | None) -> None:
            if not reason:
                return
            if self.change(lambda at: store.void_sheet(self.context.conn, self.sheet.sheet_id, reason, at)):
                self.dismiss(f"Sheet for {self.sheet.candidate_id} voided; it is kept in the log and counts nowhere.")

        await self.open_box(
            ReasonScreen(
                f"Void this sheet for {self.sheet.candidate_id}?",
                "For a sheet opened by mistake, e.g. a mistyped candidate id. It is kept in the database with "
                "your reason and counts in no result.",
                "why, e.g. mistyped candidate id; enter voids, escape goes back",
            ),
            given,
        )

    def action_leave(self) -> None:
        self.dismiss(None)
