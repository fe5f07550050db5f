"""Small modal questions on the panel: conflict of interest (at the start or found later), a note, finalising."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ccsoo_exam.text import INPUT_RESTRICT
from ccsoo_exam.ui.panel.status import StatusLine
from ccsoo_exam.ui.typeahead import settled


class ConflictScreen(ModalScreen[tuple[bool, str] | None]):
    """Asked once per sheet, before any scoring. Dismisses with (conflict, reason), or None to go back."""

    CSS_PATH = "modals.tcss"
    AUTO_FOCUS = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "no_conflict", "No conflict", show=False, priority=True),
        # Priority: the reason box is mounted and focused before the next key is dispatched,
        # so a description typed straight after 'y' is not lost.
        Binding("y", "conflict", "Declare conflict", show=False, priority=True),
        Binding("escape", "back", "Back", show=False, priority=True),
        Binding("enter", "submit", "Declare", show=False, priority=True),
    ]

    def __init__(self, candidate: str, panelist: str) -> None:
        super().__init__()
        self.candidate = candidate
        self.panelist = panelist

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Conflict of interest", classes="dialog-title")
            yield Static(
                Text(
                    f"{self.panelist}, before you score candidate {self.candidate}: do you have a conflict of "
                    "interest? (a personal or family relationship, a reporting line now or in the last 3 years, "
                    "a financial interest, or having coached or assessed this candidate for this presentation)"
                )
            )
            yield Static(
                "n  no conflict: start scoring\n"
                "y  yes: describe it; the sheet is recorded as a recusal and not scored\n"
                "esc  back to the candidate list",
                classes="dialog-keys",
            )
            yield StatusLine()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Once the description box is open, 'n' and 'y' are letters of the description.
        return not (action in ("no_conflict", "conflict") and bool(self.query("#reason")))

    async def action_no_conflict(self) -> None:
        self.dismiss((False, ""))
        # Return only once the sign-in screen has opened the sheet, so keys typed after 'n'
        # reach the scoring screen (the answer is handled in that screen's queue).
        await settled(self.app.screen)

    async def action_conflict(self) -> None:
        # Mounted only now: a text box present from the start would take focus and swallow 'n' and 'y'.
        if not self.query("#reason"):
            reason = Input(
                restrict=INPUT_RESTRICT, placeholder="describe the conflict, then enter", id="reason", max_length=500
            )
            await self.query_one(".dialog").mount(reason, before=self.query_one(StatusLine))
            self.set_focus(reason)

    def action_back(self) -> None:
        self.dismiss(None)

    async def action_submit(self) -> None:
        if not self.query("#reason"):
            return
        reason = self.query_one("#reason", Input)
        await settled(reason)
        if not reason.value.strip():
            self.query_one(StatusLine).say("Describe the conflict (a few words), or press escape.", "warning")
            return
        self.dismiss((True, reason.value))


class LateConflictScreen(ModalScreen[str | None]):
    """A conflict found during scoring. Dismisses with its description (the panelist confirmed), or None."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=False, priority=True),
        Binding("enter", "submit", "Declare", show=False, priority=True),
    ]

    def __init__(self, candidate: str, scored: int, notes: int) -> None:
        super().__init__()
        self.candidate = candidate
        self.scored = scored
        self.notes = notes

    def compose(self) -> ComposeResult:
        entered = f"{self.scored} level{'s' if self.scored != 1 else ''} and {self.notes} note"
        entered += "s" if self.notes != 1 else ""
        with Vertical(classes="dialog"):
            yield Static("Declare a conflict of interest now?", classes="dialog-title")
            yield Static(
                Text(
                    f"Your sheet for candidate {self.candidate} will be sealed at once as a recusal: not counted "
                    f"in any result, and not to be scored or changed again. The {entered} entered so far stay "
                    "in the sheet's log for the record."
                )
            )
            yield Input(
                placeholder="describe the conflict, then enter", id="reason", max_length=500, restrict=INPUT_RESTRICT
            )
            yield Static("enter  declare it and seal as a recusal\nesc  back to scoring", classes="dialog-keys")
            yield StatusLine()

    def action_back(self) -> None:
        self.dismiss(None)

    async def action_submit(self) -> None:
        reason = self.query_one("#reason", Input)
        await settled(reason)
        if not reason.value.strip():
            self.query_one(StatusLine).say("Describe the conflict (a few words), or press escape.", "warning")
            return
        self.dismiss(reason.value)


class NoteScreen(ModalScreen[str | None]):
    """One line of note text for a criterion; enter saves it, escape cancels."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, priority=True),
        Binding("enter", "submit", "Save", show=False, priority=True),
    ]

    def __init__(self, criterion_title: str) -> None:
        super().__init__()
        self.criterion_title = criterion_title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Note on {self.criterion_title}"), classes="dialog-title")
            yield Input(
                restrict=INPUT_RESTRICT,
                placeholder="what you saw or heard; enter saves, escape cancels",
                id="note",
                max_length=2000,
            )

    async def action_submit(self) -> None:
        note = self.query_one("#note", Input)
        await settled(note)
        self.dismiss(note.value if note.value.strip() else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; only 'y' confirms, so a stray enter cannot seal a sheet."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text), classes="dialog-title")
            yield Static(Text(self.question))
            yield Static("y  yes      n  no", classes="dialog-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ReasonScreen(ModalScreen[str | None]):
    """Asks for a reason in a line of text; enter gives it (not empty), escape goes back with None."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=False, priority=True),
        Binding("enter", "submit", "Give reason", show=False, priority=True),
    ]

    def __init__(self, title: str, explanation: str, placeholder: str) -> None:
        super().__init__()
        self.title_text = title
        self.explanation = explanation
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text), classes="dialog-title")
            yield Static(Text(self.explanation))
            yield Input(restrict=INPUT_RESTRICT, placeholder=self.placeholder, id="reason", max_length=500)
            yield StatusLine()

    def action_back(self) -> None:
        self.dismiss(None)

    async def action_submit(self) -> None:
        reason = self.query_one("#reason", Input)
        await settled(reason)
        if not reason.value.strip():
            self.query_one(StatusLine).say("Give a reason (a few words), or press escape.", "warning")
            return
        self.dismiss(reason.value)
