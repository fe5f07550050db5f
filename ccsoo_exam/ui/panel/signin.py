"""The sign-in screen: the panelist names themself and picks the candidate.

Candidates come from the roster (the administrator's ``candidates`` table or a CSV) when
there is one, together with any sheet this panelist already has, each marked with its
state; a candidate id can always be typed. Opening a sheet that is already in progress
(after a crash, say) reopens it exactly as it was saved.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ccsoo_exam.errors import CcsooError
from ccsoo_exam.scoresheet import Scoresheet, check_rubric, unscored
from ccsoo_exam.store import scoresheets as store
from ccsoo_exam.text import INPUT_RESTRICT, literal, literal_line
from ccsoo_exam.ui.panel.context import PanelContext
from ccsoo_exam.ui.panel.modals import ConflictScreen
from ccsoo_exam.ui.panel.scoring import ScoringScreen


class SignInScreen(Screen[None]):
    CSS_PATH = "signin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "app.quit", "Quit")]

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        rubric = self.context.rubric
        yield Static(Text.assemble(("CCSOO panel scoring", "bold"), f" · {literal_line(rubric.title)}"), id="title")
        with Grid(id="who"):
            yield Label("Your name (panelist)")
            yield Input(placeholder="e.g. Dana Okafor", id="panelist", max_length=80, restrict=INPUT_RESTRICT)
            yield Label("Candidate id")
            yield Input(placeholder="type an id, or pick below", id="candidate", max_length=80, restrict=INPUT_RESTRICT)
        yield Static(id="list-title")
        yield OptionList(id="candidates")
        yield Static(literal_line(f"Saved to {self.context.db_path}"), id="db-path", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#panelist", Input).focus()
        self.refresh_candidates()

    def on_screen_resume(self) -> None:
        self.refresh_candidates()

    @property
    def panelist(self) -> str:
        return " ".join(self.query_one("#panelist", Input).value.split())

    def refresh_candidates(self) -> None:
        """List roster candidates and this panelist's sheets, each with the sheet's state."""
        rubric = self.context.rubric
        sheets: dict[str, Scoresheet] = {}
        if self.panelist:
            sheets = {s.candidate_id: s for s in store.list_sheets(self.context.conn, rubric.id, self.panelist)}
        names = dict(self.context.roster)
        ids = list(names) + sorted(c for c in sheets if c not in names)
        options = []
        for candidate_id in ids:
            row = Text(no_wrap=True, overflow="ellipsis")
            row.append(f"{literal_line(candidate_id):<14}", style="bold")
            row.append(f"{literal_line(names.get(candidate_id, '')):<32} ")
            row.append(self._state(sheets.get(candidate_id)), style="italic")
            options.append(Option(row, id=candidate_id))
        listing = self.query_one("#candidates", OptionList)
        listing.set_options(options)
        if self.context.roster:
            title = f"Roster: {len(self.context.roster)} candidates (enter opens)"
        elif options:
            title = "Your sheets (enter opens); type an id above for a new candidate"
        else:
            title = "No roster: type the candidate id above and press enter"
        self.query_one("#list-title", Static).update(title)

    def _state(self, sheet: Scoresheet | None) -> str:
        if sheet is None:
            return ""
        if sheet.conflict:
            return "recused (conflict)"
        if sheet.sealed:
            return "finalised"
        done = len(self.context.rubric.criteria) - len(unscored(self.context.rubric, sheet))
        return f"in progress {done}/{len(self.context.rubric.criteria)}"

    @on(Input.Changed, "#panelist")
    def panelist_changed(self) -> None:
        self.refresh_candidates()

    @on(Input.Submitted, "#panelist")
    def panelist_given(self) -> None:
        self.query_one("#candidate", Input).focus()

    @on(Input.Submitted, "#candidate")
    def candidate_typed(self, event: Input.Submitted) -> None:
        candidate_id = " ".join(event.value.split())
        if candidate_id and self.context.roster and candidate_id not in dict(self.context.roster):
            self.notify(
                literal(f"{candidate_id} is not on the roster; scoring it anyway."), severity="warning", markup=False
            )
        self.open_candidate(candidate_id)

    @on(OptionList.OptionSelected, "#candidates")
    def candidate_picked(self, event: OptionList.OptionSelected) -> None:
        if event.option_id is not None:
            self.query_one("#candidate", Input).value = event.option_id
            self.open_candidate(event.option_id)

    def open_candidate(self, candidate_id: str) -> None:
        """Open (or reopen) this panelist's sheet for the candidate, declaring conflicts first."""
        if not self.panelist:
            self.notify(literal("Type your name first."), severity="warning", markup=False)
            self.query_one("#panelist", Input).focus()
            return
        context = self.context
        try:
            sheet = store.open_sheet(context.conn, context.rubric, candidate_id, self.panelist, context.wall())
            check_rubric(context.rubric, sheet)
        except CcsooError as error:
            self.notify(
                literal("\n".join(p.message for p in error.problems)), severity="error", timeout=8, markup=False
            )
            return
        if sheet.conflict is None:
            self.app.push_screen(ConflictScreen(sheet.candidate_id, sheet.panelist), lambda a: self.declared(sheet, a))
        elif sheet.conflict:
            self.notify(
                literal(f"You declared a conflict for {sheet.candidate_id}; that sheet is recorded and not scored."),
                markup=False,
            )
        else:
            self.app.push_screen(ScoringScreen(context, sheet))

    def declared(self, sheet: Scoresheet, answer: tuple[bool, str] | None) -> None:
        if answer is None:
            return
        conflict, reason = answer
        context = self.context
        try:
            sheet = store.declare_conflict(
                context.conn, context.rubric, sheet.sheet_id, conflict, reason, context.wall(), signer=context.signer
            )
        except CcsooError as error:
            self.notify(
                literal("\n".join(p.message for p in error.problems)), severity="error", timeout=8, markup=False
            )
            return
        if conflict:
            self.notify(
                literal(f"Conflict recorded; your sheet for {sheet.candidate_id} is sealed as a recusal."), markup=False
            )
            self.refresh_candidates()
        else:
            self.app.push_screen(ScoringScreen(context, sheet))
