"""The on-screen calculator: a dialog over the question, keyboard only, never an answer.

The arithmetic is ``ccsoo_exam.calculator``; this screen maps keys to it and shows the
display. The ``Calculator`` object belongs to the app, so memory and the last result are
still there the next time the candidate opens it; none of it is ever written to the results
database (the app logs only that the calculator was opened and closed).
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ccsoo_exam.calculator import Calculator

# What each typed character or key does; letters are not answers here, they are the keypad.
CHARACTERS = {
    **{d: d for d in "0123456789"},
    ".": ".",
    ",": ".",
    "+": "+",
    "-": "-",
    "*": "*",
    "x": "*",
    "X": "*",
    "/": "/",
    "%": "%",
    "=": "=",
    "c": "C",
    "C": "C",
    "m": "M+",
    "M": "M+",
    "n": "M-",
    "N": "M-",
    "r": "MR",
    "R": "MR",
    "e": "MC",
    "E": "MC",
    "s": "sign",
    "S": "sign",
}
KEYS = {"enter": "=", "backspace": "back", "delete": "C"}
CLOSE_KEYS = ("escape", "ctrl+k")
CALCULATOR_TITLE = "CALCULATOR (not an answer; nothing here is saved)"
KEYPAD = (
    "7 8 9  /     M  M+ add to memory      C  clear (or Delete)\n"
    "4 5 6  *     N  M- subtract memory    Backspace  last digit\n"
    "1 2 3  -     R  MR recall memory      S  change sign\n"
    "0 .  % +     E  MC clear memory       Enter or =  equals\n"
    "Escape or ctrl+k closes; the question stays as you left it."
)
NARROW_KEYPAD = (  # large print, 40 columns
    "7 8 9 /  M M+  N M-  C clear\n"
    "4 5 6 *  R MR  E MC  S sign\n"
    "1 2 3 -  Backspace last digit\n"
    "0 . % +  Enter or = equals\n"
    "Escape or ctrl+k closes"
)


class CalculatorScreen(ModalScreen[None]):
    """A basic calculator over the question: four functions, percent and memory."""

    CSS_PATH = "calculator.tcss"

    def __init__(self, calculator: Calculator) -> None:
        super().__init__()
        self.calculator = calculator
        self._shown: tuple[str, str, str] | None = None

    def compose(self) -> ComposeResult:
        narrow = self.app.size.width < 70
        with Vertical(id="panel", classes="narrow" if narrow else ""):
            yield Static("CALCULATOR (never saved)" if narrow else CALCULATOR_TITLE, id="title")
            yield Static(id="pending", markup=False)
            yield Static(id="display", markup=False)
            yield Static(id="memory", markup=False)
            yield Static(NARROW_KEYPAD if narrow else KEYPAD, id="keypad", markup=False)

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        calc = self.calculator
        shown = (calc.pending, calc.display, f"memory {calc.memory.normalize():f}" if calc.memory else "")
        if shown == self._shown:
            return
        self._shown = shown
        for name, text in zip(("#pending", "#display", "#memory"), shown, strict=True):
            self.query_one(name, Static).update(text)

    async def on_key(self, event: events.Key) -> None:
        if event.key in CLOSE_KEYS:
            event.stop()
            self.dismiss(None)
            return
        key = KEYS.get(event.key) or CHARACTERS.get(event.character or "")
        if key is None:
            return  # F1 and ? still reach the app's help
        event.stop()
        event.prevent_default()
        self.calculator.press(key)
        self.show()
