"""The proctor unlocks the exam package with the exam key and sets or enters the PIN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from ccsoo_exam.errors import CcsooError
from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.pin import pin_problem

if TYPE_CHECKING:
    from ccsoo_exam.package import ExamPackage


@dataclass(frozen=True)
class Unlocked:
    package: ExamPackage
    pin: str


class UnlockScreen(Screen[Unlocked]):
    CSS_PATH = "unlock.tcss"

    def __init__(
        self, definition: ExamDefinition, demo_key: str | None = None, demo_pin: str | None = None, database: str = ""
    ) -> None:
        super().__init__()
        self.database = database
        self.definition = definition
        self.demo_key = demo_key
        self.demo_pin = demo_pin

    def compose(self) -> ComposeResult:
        with Vertical(id="panel"):
            yield Static(self.definition.title, id="title", markup=False)
            yield Static("PROCTOR: unlock the exam package", id="subtitle")
            if self.demo_key:
                yield Static(
                    f"Demo package. Exam key: {self.demo_key}   Proctor PIN: {self.demo_pin}\n"
                    "The proctor menu opens with ctrl+o at any time during the exam."
                    + (f"\nDemo database: {self.database}" if self.database else ""),
                    id="demo",
                    markup=False,
                )
            yield Label("Exam key")
            yield Input(value=self.demo_key or "", password=True, id="key", placeholder="exam key")
            yield Label("Proctor PIN (4+ digits; to resume a sitting, its PIN)")
            yield Input(password=True, id="pin", placeholder="PIN", restrict=r"[0-9]*", max_length=12)
            yield Static("", id="message")
            with Horizontal(id="buttons"):
                yield Button("Unlock", id="unlock", variant="primary")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.query_one("#pin" if self.demo_key else "#key", Input).focus()
        # Once the screen is up, load the cryptography the unlock needs while the proctor types,
        # so Enter waits for the KDF and not for imports.
        self.call_after_refresh(self._preload)

    @work(thread=True, group="preload")
    def _preload(self) -> None:
        import ccsoo_exam.package  # noqa: F401

    @on(Input.Submitted, "#key")
    def _key_entered(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#unlock")
    def _unlock(self) -> None:
        key = self.query_one("#key", Input).value.strip()
        pin = self.query_one("#pin", Input).value.strip()
        if not key:
            self._say("Enter the exam key.")
            return
        if problem := pin_problem(pin):
            self._say(f"Check the PIN: {problem}.")
            return
        self._say("Unlocking...")
        self.query_one("#unlock", Button).disabled = True
        self._open(key, pin)

    @work(thread=True, exclusive=True)
    def _open(self, key: str, pin: str) -> None:
        # The KDF takes a moment and must not freeze the screen; cryptography loads only now.
        from ccsoo_exam.package import open_banks

        try:
            package = open_banks(self.definition, key)
        except CcsooError as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self.dismiss, Unlocked(package, pin))

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        # Nothing of the exam is on screen or in memory yet, so closing here is harmless.
        self.app.exit()

    def _failed(self, error: CcsooError) -> None:
        self.query_one("#unlock", Button).disabled = False
        message = error.problems[0].message
        if "exam key is wrong" in message:
            message = "That exam key did not unlock the package. Check it and try again."
        self._say(message)
        key = self.query_one("#key", Input)
        key.value = ""
        key.focus()

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)
