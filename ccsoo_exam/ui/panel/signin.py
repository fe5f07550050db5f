"""The sign-in screen: the panelist names themself and picks the candidate.

Candidates come from the roster (the administrator's ``candidates`` table or a CSV) when
there is one, together with any sheet this panelist already has, each marked with its
state; a candidate id can always be typed. Opening a sheet that is already in progress
(after a crash, say) reopens it exactly as it was saved. A sheet opened by mistake and
never scored (a mistyped id) is voided with ``v`` and a reason: it stays in the log and
leaves the list.

Typing ahead. Panelists type "name, enter, id, enter" in one burst. Textual hands each key
to the widget focused when the key is *dispatched*, and a key handler runs only later, so
moving focus from an ``Input.Submitted`` handler leaves the keys typed after enter in the
name field. Enter and tab are therefore priority bindings of this screen: they run as the
key is dispatched, move focus at once, and the keys after them go to the next field. Before
a candidate is opened the screen waits until both fields have taken in every key already
dispatched to them, so the sheet gets exactly what was typed.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ccsoo_exam.errors import CcsooError
from ccsoo_exam.scoresheet import Scoresheet, check_rubric, unscored
from ccsoo_exam.store import scoresheets as store
from ccsoo_exam.text import INPUT_RESTRICT, literal_line, visible
from ccsoo_exam.ui.panel.context import PanelContext
from ccsoo_exam.ui.panel.modals import ConflictScreen, ReasonScreen
from ccsoo_exam.ui.panel.scoring import ScoringScreen
from ccsoo_exam.ui.panel.status import StatusLine
from ccsoo_exam.ui.typeahead import settled


class SignInScreen(Screen[None]):
    CSS_PATH = "signin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "enter", "Open", priority=True),
        Binding("tab", "move(1)", "Next field", priority=True, show=False),
        Binding("shift+tab", "move(-1)", "Previous field", priority=True, show=False),
        # The list's own keys too, so "tab tab down enter" typed in one go opens the row below.
        Binding("down", "list('cursor_down')", show=False, priority=True),
        Binding("up", "list('cursor_up')", show=False, priority=True),
        Binding("home", "list('first')", show=False, priority=True),
        Binding("end", "list('last')", show=False, priority=True),
        Binding("v", "void", "Void unscored sheet"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

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
        yield StatusLine(id="status")
        yield Static(Text(f"Saved to {self.context.db_path}"), id="db-path")
        yield Footer()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#panelist", Input))
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
        # A voided sheet (a mistyped id) leaves the list unless the candidate is on the roster.
        ids = list(names) + sorted(c for c, s in sheets.items() if c not in names and not s.voided)
        options = []
        for candidate_id in ids:
            row = Text(no_wrap=True, overflow="ellipsis")
            row.append(f"{visible(candidate_id):<14}", style="bold")
            row.append(f"{visible(names.get(candidate_id, '')):<32} ")
            row.append(self._state(sheets.get(candidate_id)), style="italic")
            options.append(Option(row, id=candidate_id))
        listing = self.query_one("#candidates", OptionList)
        keep = listing.highlighted_option.id if listing.highlighted_option is not None else None
        listing.set_options(options)
        if options:
            # Always a highlighted row, so enter on the list opens one without pressing down first.
            listing.highlighted = ids.index(keep) if keep in ids else 0
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
        if sheet.voided:
            return "voided"
        if sheet.conflict:
            return "recused (conflict)"
        if sheet.sealed:
            return "finalised"
        done = len(self.context.rubric.criteria) - len(unscored(self.context.rubric, sheet))
        return f"in progress {done}/{len(self.context.rubric.criteria)}"

    @on(Input.Changed, "#panelist")
    def panelist_changed(self) -> None:
        self.refresh_candidates()

    def say(self, message: str, severity: str = "information") -> None:
        self.query_one(StatusLine).say(message, severity)

    def action_move(self, step: int) -> None:
        """Tab / shift+tab: name -> candidate id -> list, moving focus as the key is dispatched."""
        chain: list[Widget] = [self.query_one("#panelist", Input), self.query_one("#candidate", Input)]
        listing = self.query_one("#candidates", OptionList)
        if listing.option_count:
            chain.append(listing)
        here = chain.index(self.focused) if self.focused in chain else -1
        self.set_focus(chain[(here + step) % len(chain)])

    def action_list(self, move: str) -> None:
        listing = self.query_one("#candidates", OptionList)
        if self.focused is listing:
            getattr(listing, f"action_{move}")()
        elif isinstance(self.focused, Input) and move in ("first", "last"):
            getattr(self.focused, "action_home" if move == "first" else "action_end")()

    async def action_enter(self) -> None:
        panelist = self.query_one("#panelist", Input)
        candidate = self.query_one("#candidate", Input)
        listing = self.query_one("#candidates", OptionList)
        if self.focused is panelist:
            self.set_focus(candidate)
            return
        if self.focused is candidate:
            await settled(panelist, candidate)
            candidate_id = " ".join(candidate.value.split())
            if not candidate_id:
                self.say("Type the candidate id, or pick one from the list (tab) and press enter.", "warning")
                return
            if self.context.roster and candidate_id not in dict(self.context.roster):
                self.say(f"{candidate_id} is not on the roster; scoring it anyway.", "warning")
            await self.open_candidate(candidate_id)
            return
        if self.focused is listing:
            await settled(panelist)
            option = listing.highlighted_option
            if option is not None and option.id is not None:
                candidate.value = option.id
                await self.open_candidate(option.id)

    @on(OptionList.OptionSelected, "#candidates")
    async def candidate_clicked(self, event: OptionList.OptionSelected) -> None:
        # Enter is this screen's own binding; this is a click on a row.
        if event.option_id is not None:
            self.query_one("#candidate", Input).value = event.option_id
            await self.open_candidate(event.option_id)

    def action_void(self) -> None:
        """Void the highlighted candidate's sheet when it was opened by mistake and never scored."""
        option = self.query_one("#candidates", OptionList).highlighted_option
        sheet = None
        if option is not None and option.id is not None and self.panelist:
            sheet = store.find_sheet(self.context.conn, self.context.rubric.id, option.id, self.panelist)
        if sheet is None:
            self.say("Highlight one of your sheets in the list to void it.", "warning")
            return
        self.ask_void(sheet)

    def ask_void(self, sheet: Scoresheet) -> None:
        def given(reason: str | None) -> None:
            if not reason:
                return
            try:
                store.void_sheet(self.context.conn, sheet.sheet_id, reason, self.context.wall())
            except CcsooError as error:
                self.say("; ".join(p.message for p in error.problems), "error")
                return
            self.say(f"Sheet for {sheet.candidate_id} voided; it is kept in the log and counts nowhere.")
            self.refresh_candidates()

        self.app.push_screen(
            ReasonScreen(
                f"Void your sheet for {sheet.candidate_id}?",
                "Only an unscored sheet can be voided (opened by mistake, e.g. a mistyped candidate id). It is "
                "kept in the database with your reason, and counts in no result.",
                "why, e.g. mistyped candidate id; enter voids, escape goes back",
            ),
            given,
        )

    async def open_candidate(self, candidate_id: str) -> None:
        """Open (or reopen) this panelist's sheet for the candidate, declaring conflicts first.

        Returns once the next screen is mounted, so keys typed after enter reach it.
        """
        if not self.panelist:
            self.say("Type your name first.", "warning")
            self.set_focus(self.query_one("#panelist", Input))
            return
        context = self.context
        try:
            sheet = store.open_sheet(context.conn, context.rubric, candidate_id, self.panelist, context.wall())
            check_rubric(context.rubric, sheet)
        except CcsooError as error:
            self.say("; ".join(p.message for p in error.problems), "error")
            return
        self.refresh_candidates()
        if sheet.conflict is None:
            await self.app.push_screen(
                ConflictScreen(sheet.candidate_id, sheet.panelist), lambda a: self.declared(sheet, a)
            )
        elif sheet.conflict:
            self.say(f"You declared a conflict for {sheet.candidate_id}; that sheet is recorded and not scored.")
        else:
            await self.app.push_screen(ScoringScreen(context, sheet), self.scoring_done)

    def scoring_done(self, message: str | None) -> None:
        if message:
            self.say(message)
        self.refresh_candidates()

    async def declared(self, sheet: Scoresheet, answer: tuple[bool, str] | None) -> None:
        if answer is None:
            return
        conflict, reason = answer
        context = self.context
        try:
            sheet = store.declare_conflict(
                context.conn, context.rubric, sheet.sheet_id, conflict, reason, context.wall(), signer=context.signer
            )
        except CcsooError as error:
            self.say("; ".join(p.message for p in error.problems), "error")
            return
        if conflict:
            self.say(f"Conflict recorded; your sheet for {sheet.candidate_id} is sealed as a recusal.")
            self.refresh_candidates()
        else:
            await self.app.push_screen(ScoringScreen(context, sheet), self.scoring_done)
