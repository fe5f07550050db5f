"""Small dialogs over the exam: go to, submit, the proctor's PIN and menu, and notices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, Static

from ccsoo_exam.pin import MAX_LENGTH, MIN_LENGTH, Verdict, new_challenge, pin_problem
from ccsoo_exam.text import INPUT_RESTRICT, literal


@dataclass(frozen=True)
class ProctorChoice:
    """What the proctor chose in the PIN-protected menu."""

    action: str  # pause, resume, extend, incident, end
    minutes: float = 0.0
    text: str = ""


class GotoModal(ModalScreen[int | None]):
    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape", "cancel", show=False)]

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Go to question (1-{self.count}), Enter to go, Escape to cancel")
            yield Input(restrict=r"[0-9]*", max_length=3, id="number")
            yield Static("", classes="message")

    @on(Input.Submitted)
    def _go(self, event: Input.Submitted) -> None:
        if event.value.isdigit() and 1 <= int(event.value) <= self.count:
            self.dismiss(int(event.value) - 1)
        else:
            self.query_one(".message", Static).update(f"Type a number from 1 to {self.count}.")

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmSubmitModal(ModalScreen[bool]):
    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape,n", "answer(False)", show=False), Binding("y", "answer(True)", show=False)]

    def __init__(self, unanswered: int, flagged: int) -> None:
        super().__init__()
        self.unanswered = unanswered
        self.flagged = flagged

    def compose(self) -> ComposeResult:
        warning = []
        if self.unanswered:
            warning.append(f"{self.unanswered} question{'s are' if self.unanswered != 1 else ' is'} unanswered")
        if self.flagged:
            warning.append(f"{self.flagged} flagged for review")
        with Vertical(classes="dialog"):
            yield Static("Submit your exam?", classes="heading")
            yield Static(("; ".join(warning) + ". ") if warning else "Every question is answered. ")
            yield Static("After submitting you cannot change any answer.")
            with Horizontal(classes="buttons"):
                yield Button("Y: Submit now", id="yes", variant="error")
                yield Button("N: Keep working", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class PinModal(ModalScreen[str | None]):
    """The proctor's PIN, or a resume code for a forgotten one. Dismisses with "pin", "resume" or None.

    Checking is the caller's (it holds the hash, the lock-out and the log); a wrong entry keeps
    the prompt open, so the proctor's next digits never reach the question behind it. While the
    lock-out runs both fields are disabled and every key is swallowed; only Escape closes.
    """

    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape", "cancel", show=False)]

    def __init__(
        self,
        verify: Callable[[str], Verdict],
        redeem: Callable[[str, str], Verdict],
        locked_for: Callable[[], float],
        prompt: str = "PROCTOR: enter the PIN (Escape to cancel)",
    ) -> None:
        super().__init__()
        self.verify = verify
        self.redeem = redeem
        self.locked_for = locked_for
        self.prompt = prompt
        self.challenge = new_challenge()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt)
            yield Input(password=True, restrict=r"[0-9]*", max_length=MAX_LENGTH, id="pin")
            yield Label(f"Forgot the PIN? Challenge {self.challenge}: the administrator gives a resume code")
            yield Input(restrict=r"[A-Za-z0-9 -]*", max_length=12, id="code", placeholder="resume code")
            yield Static("", classes="message", markup=False)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_lock)
        self.refresh_lock()

    def refresh_lock(self) -> None:
        """Disable the fields while locked out; say for how long."""
        seconds = self.locked_for()
        locked = seconds > 0
        for field in self.query(Input):
            field.disabled = locked
        if locked:
            self._say(f"Too many wrong entries: locked for {seconds:.0f} s more. Escape closes.")
        elif self.focused is None:
            self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _pin_entered(self, event: Input.Submitted) -> None:
        if not event.value or self.locked_for() > 0:
            return
        verdict = self.verify(event.value)
        if verdict.accepted:
            self.dismiss("pin")
            return
        event.input.value = ""
        self._wrong(verdict, "Wrong PIN")

    @on(Input.Submitted, "#code")
    def _code_entered(self, event: Input.Submitted) -> None:
        if not event.value.strip() or self.locked_for() > 0:
            return
        verdict = self.redeem(self.challenge, event.value)
        if verdict.accepted:
            self.dismiss("resume")
            return
        event.input.value = ""
        self._wrong(verdict, "That resume code does not answer this challenge")

    def _wrong(self, verdict: Verdict, what: str) -> None:
        self._say(f"{what} ({verdict.wrong} wrong in a row). Try again, or Escape to cancel.")
        self.refresh_lock()

    def _say(self, text: str) -> None:
        self.query_one(".message", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NewPinModal(ModalScreen[str | None]):
    """Set a new proctor PIN, typed twice (after a resume code)."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape", "cancel", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"PROCTOR: set a new PIN ({MIN_LENGTH}+ digits), then type it again")
            yield Input(password=True, restrict=r"[0-9]*", max_length=MAX_LENGTH, id="pin")
            yield Input(password=True, restrict=r"[0-9]*", max_length=MAX_LENGTH, id="again")
            yield Static("", classes="message", markup=False)

    @on(Input.Submitted, "#pin")
    def _first(self) -> None:
        self.query_one("#again", Input).focus()

    @on(Input.Submitted, "#again")
    def _second(self) -> None:
        pin, again = self.query_one("#pin", Input).value, self.query_one("#again", Input).value
        if problem := pin_problem(pin, again):
            self.query_one(".message", Static).update(f"Check the PIN: {problem}.")
            self.query_one("#again", Input).value = ""
            self.query_one("#pin", Input).focus()
            return
        self.dismiss(pin)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ProctorMenu(ModalScreen[ProctorChoice | None]):
    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape", "close", show=False)]

    def __init__(self, paused: bool, submitted: bool, remaining: str, no_sitting: bool = False) -> None:
        super().__init__()
        self.no_sitting = no_sitting
        self.paused = paused
        self.submitted = submitted
        self.remaining = remaining

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(f"PROCTOR MENU   time left {self.remaining}", classes="heading")
            if not self.submitted:
                yield Button(
                    "Resume the exam" if self.paused else "Pause the exam (clock stops, question hidden)",
                    id="toggle-pause",
                )
                yield Label("Minutes to add, and the reason")
                with Horizontal(classes="row"):
                    yield Input(restrict=r"[0-9]*", max_length=3, id="minutes", placeholder="min")
                    yield Input(id="reason", placeholder="reason (required)", max_length=200, restrict=INPUT_RESTRICT)
                yield Button("Add time", id="extend")
                yield Label("Incident note")
                yield Input(id="note", placeholder="what happened", max_length=500, restrict=INPUT_RESTRICT)
                yield Button("Record incident", id="incident")
            if self.no_sitting:
                label = "Close ccsoo-exam (no sitting has started)"
            elif self.submitted:
                label = "Close ccsoo-exam (the sitting is submitted)"
            else:
                label = "End the sitting (asks to confirm; answers so far are submitted)"
            yield Button(label, id="end", variant="error")
            yield Button("Close this menu", id="close", variant="primary")
            yield Static("", classes="message")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        button = event.button.id
        if button == "close":
            self.dismiss(None)
        elif button == "toggle-pause":
            self.dismiss(ProctorChoice("resume" if self.paused else "pause"))
        elif button == "end":
            self.dismiss(ProctorChoice("end"))
        elif button == "extend":
            minutes = self.query_one("#minutes", Input).value
            reason = self.query_one("#reason", Input).value.strip()
            if not minutes.isdigit() or not 1 <= int(minutes) <= 240 or not reason:
                self.query_one(".message", Static).update("Give 1-240 minutes and a reason.")
                return
            self.dismiss(ProctorChoice("extend", minutes=float(minutes), text=reason))
        elif button == "incident":
            note = self.query_one("#note", Input).value.strip()
            if not note:
                self.query_one(".message", Static).update("Write the incident note first.")
                return
            self.dismiss(ProctorChoice("incident", text=note))

    def action_close(self) -> None:
        self.dismiss(None)


class EndSittingModal(ModalScreen[str | None]):
    """The proctor confirms ending a sitting early, with the reason that goes in the log."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape", "cancel", show=False)]

    def __init__(self, answered: int, count: int) -> None:
        super().__init__()
        self.answered = answered
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static("PROCTOR: end this sitting now?", classes="heading")
            yield Static(
                f"The {self.answered} of {self.count} answers saved so far are submitted and scored, and the "
                "candidate's receipt is shown. This cannot be undone."
            )
            yield Label("Reason (required, kept in the log)")
            yield Input(id="end-reason", placeholder="e.g. candidate unwell; misconduct observed", max_length=200)
            with Horizontal(classes="buttons"):
                yield Button("End the sitting", id="confirm-end", variant="error")
                yield Button("Go back", id="back", variant="primary")
            yield Static("", classes="message")

    def on_mount(self) -> None:
        self.query_one("#end-reason", Input).focus()

    @on(Button.Pressed, "#back")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#end-reason")
    @on(Button.Pressed, "#confirm-end")
    def _confirm(self) -> None:
        reason = self.query_one("#end-reason", Input).value.strip()
        if not reason:
            self.query_one(".message", Static).update("Write the reason first; it is kept with the sitting.")
            self.query_one("#end-reason", Input).focus()
            return
        self.dismiss(reason)


class PausedScreen(Screen[None]):
    """Covers the question while the clock is stopped; only the proctor can lift it."""

    CSS_PATH = "modals.tcss"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("The exam is PAUSED by the proctor.", classes="heading")
            yield Static("Your answers are saved and the clock is stopped.\nPlease wait for the proctor.")


class NoticeScreen(ModalScreen[None]):
    """A blocking notice; it closes when its cause is gone or the proctor lifts it."""

    CSS_PATH = "modals.tcss"

    def __init__(self, heading: str, body: str) -> None:
        super().__init__()
        self.heading = heading
        self.body = body
        self.lifted = False

    def lift(self) -> None:
        """The cause is gone: close now, or as soon as a dialog above it closes."""
        self.lifted = True
        if self.is_current:
            self.dismiss()

    def on_screen_resume(self) -> None:
        if self.lifted:
            self.dismiss()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog notice"):
            yield Static(literal(self.heading), classes="heading", markup=False)
            yield Static(literal(self.body), markup=False)


class CrashScreen(Screen[None]):
    """What the candidate sees after an unexpected error: no traceback, no item content."""

    CSS_PATH = "modals.tcss"

    def __init__(self, log: str) -> None:
        super().__init__()
        self.log_path = log

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog notice"):
            yield Static("Something went wrong. Call the proctor.", classes="heading")
            yield Static(
                "Your saved answers are kept and the clock is stopped.\n"
                "Proctor: ctrl+o closes this screen; start ccsoo-exam again and resume the sitting with its PIN."
                + (f"\nDetails for the administrator: {literal(self.log_path)}" if self.log_path else ""),
                markup=False,
            )
