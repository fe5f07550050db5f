"""The proctor unlocks the exam package with the exam key and sets or enters the PIN.

The KDF is the slow part of unlocking, and it needs the key only: the package opens in the
background as soon as the key is known (at once in the demo, where it is filled in; when the
proctor leaves the key field in ``sit``), while the PIN is typed. Unlock uses that opening if
the key is still the same, and opens again if not. Nothing is said about the key until Unlock.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed, get_current_worker

from ccsoo_exam.errors import CcsooError, WrongKeyError
from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.pin import MAX_LENGTH, MIN_LENGTH, pin_problem
from ccsoo_exam.text import INPUT_RESTRICT, literal
from ccsoo_exam.ui.typeahead import settled

if TYPE_CHECKING:
    from ccsoo_exam.package import ExamPackage
    from ccsoo_exam.signing import Signer


@dataclass(frozen=True)
class Unlocked:
    package: ExamPackage
    pin: str
    signer: Signer | None = None  # this terminal's enrolled key; signs the chain heads


class UnlockScreen(Screen[Unlocked]):
    """The key, the PIN and the PIN again, often typed in one burst ("246810 Enter 246810 Enter").

    As at check-in, Tab, Shift+Tab and Enter in the three fields are priority bindings: focus
    moves as each key is dispatched, so the digits after an Enter reach the next field, and
    Unlock waits until every field has taken in the keys already sent to it
    (``ccsoo_exam.ui.typeahead``)."""

    CSS_PATH = "unlock.tcss"
    BINDINGS = [
        Binding("tab", "move(1)", show=False, priority=True),
        Binding("shift+tab", "move(-1)", show=False, priority=True),
        Binding("enter", "enter", show=False, priority=True),
    ]

    def __init__(
        self,
        definition: ExamDefinition,
        demo_key: str | None = None,
        demo_pin: str | None = None,
        database: str = "",
        new_pin: bool = True,
        terminal_key: Path | None = None,
    ) -> None:
        super().__init__()
        self.terminal_key = terminal_key
        self._opening = False
        self._shown = False  # nothing opens before the first frame: it must not wait for the KDF's imports
        self._attempt: tuple[str, Worker[Unlocked | CcsooError | None]] | None = None  # the key, its opening
        self._kdf = threading.Lock()  # one opening at a time: each KDF holds 64 MiB
        self.new_pin = new_pin  # False when a sitting waits on this terminal: then it is that sitting's PIN
        self.database = database
        self.definition = definition
        self.demo_key = demo_key
        self.demo_pin = demo_pin

    def compose(self) -> ComposeResult:
        with Vertical(id="panel"):
            yield Static(literal(self.definition.title), id="title", markup=False)
            yield Static("PROCTOR: unlock the exam package", id="subtitle")
            if self.demo_key:
                yield Static(
                    f"Demo package. Exam key: {self.demo_key}   Proctor PIN: {self.demo_pin} (type it twice)\n"
                    "The proctor menu opens with ctrl+o at any time during the exam."
                    + (f"\nDemo database: {self.database}" if self.database else ""),
                    id="demo",
                    markup=False,
                )
            yield Label("Exam key")
            yield Input(
                value=self.demo_key or "", password=True, id="key", placeholder="exam key", restrict=INPUT_RESTRICT
            )
            if self.new_pin:
                yield Label(f"Set the proctor PIN ({MIN_LENGTH}+ digits), and type it again")
            else:
                yield Label("Proctor PIN of the interrupted sitting on this terminal")
            with Horizontal(id="pins"):
                yield Input(password=True, id="pin", placeholder="PIN", restrict=r"[0-9]*", max_length=MAX_LENGTH)
                if self.new_pin:
                    yield Input(
                        password=True, id="again", placeholder="PIN again", restrict=r"[0-9]*", max_length=MAX_LENGTH
                    )
            yield Static("", id="message", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Unlock", id="unlock", variant="primary")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.query_one("#pin" if self.demo_key else "#key", Input).focus()
        self.call_after_refresh(self._drawn)

    def _drawn(self) -> None:
        # Work only once the screen is up, while the proctor types: in the demo the key is there,
        # so the package opens now; otherwise the cryptography the unlock needs is loaded.
        self._shown = True
        if self.demo_key:
            self._open_early()
        else:
            self._preload()

    @work(thread=True, group="preload")
    def _preload(self) -> None:
        import ccsoo_exam.package  # noqa: F401

    def _fields(self) -> list[Input]:
        return list(self.query("#pins Input, #key").results(Input))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("move", "enter"):
            return self.focused in self._fields()  # the buttons keep Textual's own keys
        return True

    def action_move(self, step: int) -> None:
        fields = self._fields()
        assert isinstance(self.focused, Input)
        index = fields.index(self.focused) + step
        if index < 0:
            self.set_focus(self.query_one("#close", Button))
        elif index >= len(fields):
            self.set_focus(self.query_one("#unlock", Button))
        else:
            self.set_focus(fields[index])

    async def action_enter(self) -> None:
        fields = self._fields()
        assert isinstance(self.focused, Input)
        index = fields.index(self.focused)
        if self.focused.id == "key":
            self.set_focus(fields[index + 1])
            self._open_early()
        elif index + 1 < len(fields):
            self.set_focus(fields[index + 1])  # the PIN, then the PIN again
        else:
            await settled(*fields)
            self._unlock()

    @on(Input.Blurred, "#key")
    def _key_left(self) -> None:
        self._open_early()

    def _open_early(self) -> None:
        """Begin opening the package with the key as typed so far, if there is one."""
        if self._opening or not self._shown:
            return  # Unlock is under way (or done) with the key it read, or the screen is not up yet
        if key := self.query_one("#key", Input).value.strip():
            self._opening_for(key)

    def _opening_for(self, key: str) -> Worker[Unlocked | CcsooError | None]:
        """The opening under this key: the one begun early when the key is unchanged, else a new one."""
        if self._attempt is not None:
            earlier, worker = self._attempt
            if earlier == key:
                return worker
            # Another key: that opening's result must never be used. A KDF under way cannot be
            # stopped; it finishes unused, and one that has not begun never begins.
            worker.cancel()
        worker = self.run_worker(lambda: self._open(key), thread=True, group="open")
        self._attempt = (key, worker)
        return worker

    @on(Button.Pressed, "#unlock")
    def _unlock(self) -> None:
        key = self.query_one("#key", Input).value.strip()
        pin = self.query_one("#pin", Input).value.strip()
        if not key:
            self._say("Enter the exam key.")
            return
        if self.new_pin:
            if problem := pin_problem(pin, self.query_one("#again", Input).value.strip()):
                self._say(f"Check the PIN: {problem}.")
                self.query_one("#again", Input).value = ""
                self.query_one("#pin", Input).focus()
                return
        elif not pin:
            self._say("Enter the PIN of the interrupted sitting.")
            return
        if self._opening:
            return  # a second Enter while the KDF runs must not start (and cancel) another unlock
        self._opening = True
        self._say("Unlocking...")
        self.query_one("#unlock", Button).disabled = True
        self._finish(self._opening_for(key), pin)

    @dataclass
    class Opened(Message):
        result: Unlocked | None
        error: CcsooError | None

    def _open(self, key: str) -> Unlocked | CcsooError | None:
        """Open the package under ``key`` (in a thread): the package, or why it does not open."""
        from ccsoo_exam.package import open_banks, share_problems

        with self._kdf:
            if get_current_worker().is_cancelled:
                return None  # the key changed while this waited its turn
            try:
                signer = None
                if self.terminal_key is not None:
                    from ccsoo_exam.signing import load_signer

                    signer = load_signer(self.terminal_key)
                package = open_banks(self.definition, key)
                if problems := share_problems(package):
                    # Refuse now, before check-in: a blueprint the banks cannot fill. Whether forms
                    # assemble is checked while the candidate is checked in (``ExamApp``).
                    return CcsooError(problems)
                return Unlocked(package, "", signer)
            except CcsooError as error:
                return error

    @work(group="unlock")
    async def _finish(self, opening: Worker[Unlocked | CcsooError | None], pin: str) -> None:
        try:
            result = await opening.wait()
        except (WorkerFailed, WorkerCancelled):
            # An unexpected error (the app is on its way to the safe screen), or the app is closing:
            # the opening in use is never replaced while Unlock waits for it.
            return
        if isinstance(result, Unlocked):
            self.post_message(self.Opened(replace(result, pin=pin), None))
        elif isinstance(result, CcsooError):
            self._attempt = None  # the proctor may fix the file or the key: the next Unlock opens again
            self.post_message(self.Opened(None, result))

    async def on_unlock_screen_opened(self, message: Opened) -> None:
        # Let the workers finish before the screen goes: dismissing would cancel a running worker.
        with contextlib.suppress(WorkerCancelled):
            await self.workers.wait_for_complete()
        if message.result is None or not self.is_current:
            # Refused, or unlocked under a notice (Unlock again reuses this opening). Once the
            # screen is dismissed with a package, nothing more opens here.
            self._opening = False
        if not self.is_current:
            return
        if message.error is not None:
            self._failed(message.error)
        elif message.result is not None:
            self.dismiss(message.result)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        # Nothing of the exam is on screen or in memory yet, so closing here is harmless.
        self.app.exit()

    def _failed(self, error: CcsooError) -> None:
        self.query_one("#unlock", Button).disabled = False
        key = self.query_one("#key", Input)
        if isinstance(error, WrongKeyError):
            self._say("The exam key is wrong. Check it and type it again.")
            key.value = ""
        else:
            # A damaged or substituted file: the key was right, so keep it for the retry after the copy.
            self._say("\n".join(f"{Path(p.path).name}: {p.message}" for p in error.problems[:3]))
        key.focus()

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(literal(text))
