"""Chair mode: consolidating the panel's imported sheets, candidate by candidate.

The story: the chair names themself and picks a candidate; the screen shows each
panelist's progress on that candidate (from the sheets in the merged database), then the
consolidated sheet criterion by criterion (every panelist's level, the mean, and a ``!``
where panelists differ by more than the rubric's threshold). The chair moderates a
flagged criterion (``m``: a level and a reason), and once nothing is open seals the
consolidated sheet (``f``, confirmed with ``y``). Every change is one store call that
commits before the screen shows it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ccsoo_exam.aggregation import CandidateResult, aggregate
from ccsoo_exam.consolidation import Consolidation, consolidation_problems
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.rubric import Criterion
from ccsoo_exam.scoresheet import Scoresheet, check_person, unscored
from ccsoo_exam.store import scoresheets as store
from ccsoo_exam.text import INPUT_RESTRICT, visible
from ccsoo_exam.ui.panel.context import PanelContext
from ccsoo_exam.ui.panel.modals import ConfirmScreen
from ccsoo_exam.ui.panel.status import StatusLine


def progress(context: PanelContext, sheet: Scoresheet) -> str:
    """One panelist's progress on a candidate, in words."""
    if sheet.voided:
        return "voided"
    if sheet.conflict:
        return "recused (conflict of interest)"
    total = len(context.rubric.criteria)
    done = total - len(unscored(context.rubric, sheet))
    if sheet.sealed:
        return f"finalised {done}/{total}"
    return f"in progress {done}/{total}"


def candidate_sheets(context: PanelContext, candidate_id: str) -> list[Scoresheet]:
    return [s for s in store.list_sheets(context.conn, context.rubric.id) if s.candidate_id == candidate_id]


def candidate_result(context: PanelContext, candidate_id: str) -> CandidateResult | None:
    rubric = context.rubric
    results, _ = aggregate(
        rubric,
        candidate_sheets(context, candidate_id),
        store.moderations(context.conn, rubric.id),
        store.criterion_moderations(context.conn, rubric.id),
    )
    return results[0] if results else None


class ChairSignInScreen(Screen[None]):
    """The chair's name and the candidates that have sheets in the merged database."""

    CSS_PATH = "chair.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "enter", "Open", priority=True),
        Binding("tab", "move", "Next field", priority=True, show=False),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("CCSOO panel chair", "bold"), f" · {self.context.rubric.title}"), id="title")
        yield Label("Your name (chair)")
        yield Input(restrict=INPUT_RESTRICT, placeholder="e.g. Dana Okafor", id="chair", max_length=80)
        yield Static(id="list-title")
        yield OptionList(id="candidates")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#chair", Input))
        self.refresh_candidates()

    def on_screen_resume(self) -> None:
        self.refresh_candidates()

    @property
    def chair(self) -> str:
        return " ".join(self.query_one("#chair", Input).value.split())

    def refresh_candidates(self) -> None:
        ids = sorted({s.candidate_id for s in store.list_sheets(self.context.conn, self.context.rubric.id)})
        options = []
        for candidate_id in ids:
            result = candidate_result(self.context, candidate_id)
            sealed = store.consolidation(self.context.conn, self.context.rubric, candidate_id)
            row = Text(no_wrap=True, overflow="ellipsis")
            row.append(f"{visible(candidate_id):<16}", style="bold")
            if sealed is not None:
                row.append(f"sealed by {visible(sealed.chair)}  ")
            if result is not None:
                row.append(f"{result.decision}; {len(result.scores)} counted")
                if result.unresolved:
                    row.append(f"; {len(result.unresolved)} to moderate", style="bold")
            options.append(Option(row, id=candidate_id))
        listing = self.query_one("#candidates", OptionList)
        keep = listing.highlighted_option.id if listing.highlighted_option is not None else None
        listing.set_options(options)
        if options:
            listing.highlighted = ids.index(keep) if keep in ids else 0
        self.query_one("#list-title", Static).update(
            f"Candidates with sheets: {len(ids)} (tab to the list, enter opens)" if ids else "No scoresheets yet"
        )

    def action_move(self) -> None:
        chair, listing = self.query_one("#chair", Input), self.query_one("#candidates", OptionList)
        self.set_focus(listing if self.focused is chair and listing.option_count else chair)

    def action_enter(self) -> None:
        listing = self.query_one("#candidates", OptionList)
        if self.focused is self.query_one("#chair", Input):
            if listing.option_count:
                self.set_focus(listing)
            return
        option = listing.highlighted_option
        if option is None or option.id is None:
            return
        try:
            chair = check_person(self.chair, "chair's name")
        except CcsooError as error:
            self.query_one(StatusLine).say("; ".join(p.message for p in error.problems), "warning")
            self.set_focus(self.query_one("#chair", Input))
            return
        self.app.push_screen(ConsolidationScreen(self.context, option.id, chair))

    @on(OptionList.OptionSelected, "#candidates")
    def clicked(self) -> None:
        self.action_enter()


class ConsolidationScreen(Screen[None]):
    """One candidate: panelists' progress, the consolidated sheet per criterion, moderation and sealing."""

    CSS_PATH = "chair.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "moderate", "Moderate"),
        Binding("f", "seal", "Seal"),
        Binding("escape", "leave", "Candidates"),
    ]

    def __init__(self, context: PanelContext, candidate_id: str, chair: str) -> None:
        super().__init__()
        self.context = context
        self.rubric = context.rubric
        self.candidate_id = candidate_id
        self.chair = chair
        self.result: CandidateResult | None = None
        self.sealed: Consolidation | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="sheet-header")
        yield Static(id="panelists")
        yield OptionList(id="consolidated", markup=False)
        with VerticalScroll(id="detail-box"):
            yield Static(id="detail")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.set_focus(self.query_one("#consolidated", OptionList))

    @property
    def current(self) -> Criterion | None:
        listing = self.query_one("#consolidated", OptionList)
        if listing.highlighted is None:
            return None
        return self.rubric.criteria[listing.highlighted]

    def reload(self) -> None:
        """Read the candidate's sheets, moderations and seal from the store and redraw."""
        self.result = candidate_result(self.context, self.candidate_id)
        self.sealed = store.consolidation(self.context.conn, self.rubric, self.candidate_id)
        r = self.result
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(visible(self.candidate_id), style="bold")
        header.append(f" · chair {visible(self.chair)} · ")
        if r is not None:
            header.append(r.decision.upper(), style="bold")
            header.append(f" {'-' if r.final is None else f'{r.final:.1f}%'}")
        if self.sealed is not None:
            header.append(f" · SEALED {self.sealed.seal_hash[:8]} by {visible(self.sealed.chair)}", style="bold")
        self.query_one("#sheet-header", Static).update(header)
        self.set_class(self.sealed is not None, "-sealed")
        lines = Text()
        for sheet in sorted(candidate_sheets(self.context, self.candidate_id), key=lambda s: s.panelist):
            lines.append(f"  {visible(sheet.panelist)}: ", style="bold")
            lines.append(progress(self.context, sheet))
            score = next((s for s in (r.scores if r else ()) if s.sheet_id == sheet.sheet_id), None)
            if score is not None:
                lines.append(f" ({score.percentage:.1f}%)")
            lines.append("\n")
        names = " ".join(visible(s.panelist) for s in r.scores) if r else ""
        lines.append(f"  {'levels':<12}{'mean':>5} {'final':<6} criterion   (levels: {names})", style="dim")
        self.query_one("#panelists", Static).update(lines)
        listing = self.query_one("#consolidated", OptionList)
        keep = listing.highlighted or 0
        listing.set_options([Option(self.row(c), id=c.id) for c in self.rubric.criteria])
        listing.highlighted = min(keep, len(self.rubric.criteria) - 1)
        self.show_detail()

    def row(self, criterion: Criterion) -> Text:
        r = self.result
        text = Text(no_wrap=True, overflow="ellipsis")
        flagged = r is not None and any(d.criterion_id == criterion.id for d in r.discrepancies)
        moderated = r.moderated.get(criterion.id) if r else None
        text.append("! " if flagged else "  ", style="bold reverse" if flagged and not moderated else "bold")
        levels = " ".join(str(s.levels[criterion.id]) for s in r.scores) if r else ""
        text.append(f"{levels:<12}", style="bold" if flagged else "")
        mean = f"{r.criterion_means[criterion.id]:.2f}" if r and r.scores else ""
        text.append(f"{mean:>5} ")
        if moderated is not None:
            final = f"{moderated.level} mod"
        elif r is not None and criterion.id in r.final_levels:
            final = f"{r.final_levels[criterion.id]:.2f}"
        else:
            final = "?" if flagged else "-"
        text.append(f"{final:<6} ", style="bold")
        text.append(criterion.title)
        return text

    def show_detail(self) -> None:
        criterion, r = self.current, self.result
        text = Text()
        if criterion is None or r is None:
            self.query_one("#detail", Static).update(text)
            return
        text.append(criterion.title, style="bold")
        text.append(f"  weight {criterion.weight:g}\n")
        for s in r.scores:
            level = s.levels[criterion.id]
            text.append(f"{visible(s.panelist)}: {level} {self.rubric.label(level)}", style="bold")
            for note in s.notes:
                if note.criterion_id == criterion.id:
                    text.append(f"  ✎ {visible(note.text)}")
            text.append("\n")
        if r.scores:
            text.append(f"mean {r.criterion_means[criterion.id]:.2f}")
        flagged = next((d for d in r.discrepancies if d.criterion_id == criterion.id), None)
        moderated = r.moderated.get(criterion.id)
        if moderated is not None:
            text.append(f" · moderated to {moderated.level} {self.rubric.label(moderated.level)} by ", style="bold")
            text.append(f"{visible(moderated.moderator)}: {visible(moderated.reason)}")
        elif flagged is not None:
            text.append(f" · DISCREPANCY: panelists differ by {flagged.difference}; m moderates", style="bold")
        self.query_one("#detail", Static).update(text)

    @on(OptionList.OptionHighlighted, "#consolidated")
    def moved(self) -> None:
        self.show_detail()

    def action_moderate(self) -> None:
        criterion = self.current
        if criterion is None:
            return
        if self.sealed is not None:
            self.query_one(StatusLine).say("The consolidated sheet is sealed; it cannot be moderated.", "error")
            return

        def given(answer: tuple[int, str] | None) -> None:
            if answer is None:
                return
            level, reason = answer
            try:
                store.record_criterion_moderation(
                    self.context.conn,
                    self.rubric,
                    self.candidate_id,
                    criterion.id,
                    level,
                    reason,
                    self.chair,
                    self.context.wall(),
                )
            except CcsooError as error:
                self.query_one(StatusLine).say("; ".join(p.message for p in error.problems), "error")
                return
            self.reload()
            self.query_one(StatusLine).say(f"{criterion.title}: moderated to {level} {self.rubric.label(level)}.")

        self.app.push_screen(ModerateScreen(self.context, criterion), given)

    def action_seal(self) -> None:
        status = self.query_one(StatusLine)
        if self.sealed is not None:
            status.say(f"Already sealed ({self.sealed.seal_hash[:12]}).", "error")
            return
        if self.result is None:
            return
        problems = consolidation_problems(self.result)
        if problems:
            status.say("Cannot seal: " + "; ".join(problems), "error")
            return
        final = "-" if self.result.final is None else f"{self.result.final:.1f}%"

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                sealed = store.seal_consolidation(
                    self.context.conn, self.rubric, self.candidate_id, self.chair, self.context.wall()
                )
            except CcsooError as error:
                status.say("; ".join(p.message for p in error.problems), "error")
                return
            self.reload()
            status.say(f"Consolidated sheet sealed ({sealed.seal_hash[:12]}).")

        self.app.push_screen(
            ConfirmScreen(
                "Seal the consolidated sheet?",
                f"{self.candidate_id}: {self.result.decision.upper()} at {final}, consolidated by {self.chair}. "
                "Once sealed, no criterion can be moderated again.",
            ),
            answered,
        )

    def action_leave(self) -> None:
        self.dismiss(None)


class ModerateScreen(ModalScreen[tuple[int, str] | None]):
    """The moderated level (a digit) and the reason; enter on the reason gives both, escape goes back."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back", show=False)]

    def __init__(self, context: PanelContext, criterion: Criterion) -> None:
        super().__init__()
        self.rubric = context.rubric
        self.criterion = criterion

    def compose(self) -> ComposeResult:
        scale = ", ".join(f"{p.value} {p.label}" for p in self.rubric.scale)
        with Vertical(classes="dialog"):
            yield Static(Text(f"Moderate: {self.criterion.title}"), classes="dialog-title")
            yield Static(Text(f"Level ({scale}), then the reason; enter records, escape goes back."))
            yield Input(restrict=INPUT_RESTRICT, placeholder="level", id="level", max_length=1)
            yield Input(
                restrict=INPUT_RESTRICT,
                placeholder="reason, e.g. agreed at moderation: slide 4 shows the baseline",
                id="reason",
            )
            yield StatusLine()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#level", Input))

    @on(Input.Submitted, "#level")
    def level_given(self) -> None:
        self.set_focus(self.query_one("#reason", Input))

    @on(Input.Submitted, "#reason")
    def reason_given(self) -> None:
        level_text = self.query_one("#level", Input).value.strip()
        reason = self.query_one("#reason", Input).value
        status = self.query_one(StatusLine)
        if not level_text.isdigit() or not self.rubric.lowest <= int(level_text) <= self.rubric.highest:
            status.say(f"The level is a number {self.rubric.lowest}-{self.rubric.highest}.", "warning")
            self.set_focus(self.query_one("#level", Input))
            return
        if not reason.strip():
            status.say("Give the reason (kept with the consolidated sheet).", "warning")
            return
        self.dismiss((int(level_text), reason))

    def action_back(self) -> None:
        self.dismiss(None)


class ChairApp(App[None]):
    """The chair's consolidation of a merged panel database. ctrl+q quits; every change is already committed."""

    TITLE = "CCSOO panel chair"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context

    def on_mount(self) -> None:
        self.push_screen(ChairSignInScreen(self.context))

    def on_unmount(self) -> None:
        self.context.conn.close()
