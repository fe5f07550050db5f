"""The candidate's help: every key, on F1 or ?, over any screen, closing back to it unchanged.

It is a modal over whatever was showing, so closing it returns to the same question,
highlight, dialog or field. It lists only what the candidate may do: no route out of the
exam, no copy or paste, nothing of the key; the proctor's keys are the proctor's.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Static

HELP_KEYS = "F1 or ?"

QUESTION_KEYS = (
    ("Answering", ""),
    ("A B C D or 1 2 3 4", "choose that option; it is saved at once"),
    ("Up, Down, Enter, Space", "highlight an option, then choose it"),
    ("Delete or Backspace", "clear your answer to this question"),
    ("X", "rule out the highlighted option (X again undoes it)"),
    ("F", "flag this question for review (F again unflags it)"),
    ("Moving", ""),
    ("N, Right or PgDn", "next question"),
    ("P, Left or PgUp", "previous question"),
    ("Home, End", "first, last question"),
    ("G", "go to a question by its number"),
    ("J or Shift+Down", 'read on in a long question (shown by "more below")'),
    ("K or Shift+Up", "back up in a long question"),
    ("R", "review: every question's state; Enter goes to one"),
    ("S", "submit the exam (asks you to confirm)"),
    ("Tools", ""),
    ("T", "hide or show the countdown"),
)
CALCULATOR_KEYS = (("ctrl+k or =", "open or close the calculator"),)
READ_ALOUD_KEYS = (("L", "read the question and options aloud (L again stops)"),)
ALWAYS_KEYS = ((HELP_KEYS, "this help; Escape, F1 or ? closes it"),)
SCREEN_KEYS = {
    "ReviewScreen": (
        ("Review", ""),
        ("Up, Down, Enter", "pick a question and go to it"),
        ("Escape or R", "back to the question"),
        ("S", "submit the exam (asks you to confirm)"),
    ),
    "CalculatorScreen": (
        ("Calculator", ""),
        ("0-9 .", "type a number"),
        ("+ - * /", "add, subtract, multiply (* or x), divide"),
        ("Enter or =", "equals"),
        ("%", "percent (200 + 10 % is 220)"),
        ("M N R E", "M+ add to memory, M- subtract, MR recall, MC clear memory"),
        ("C or Delete", "clear; Backspace removes the last digit; S changes the sign"),
        ("Escape or ctrl+k", "close; the question is as you left it"),
    ),
    "InstructionsScreen": (
        ("Instructions", ""),
        ("Up, Down, PgUp, PgDn", "scroll the instructions"),
        ("Tab, Shift+Tab", "move between the boxes and the button"),
        ("Space", "tick or untick the box (a ticked box shows [x])"),
        ("Enter", "start the exam, once both boxes are ticked"),
    ),
    "ConfirmSubmitModal": (("Submit?", ""), ("Y", "submit now"), ("N or Escape", "keep working")),
    "GotoModal": (("Go to", ""), ("digits, Enter", "go to that question"), ("Escape", "cancel")),
}
WAITING = {
    "ReceiptScreen": ("Submitted", ""),
    "PausedScreen": ("Paused by the proctor", ""),
}
WAITING_NOTES = {
    "ReceiptScreen": "Your exam is submitted. Write down the receipt code and stay seated.",
    "PausedScreen": "The clock is stopped and your answers are saved. Please wait for the proctor.",
}
FORM_KEYS = (("Forms", ""), ("Tab, Shift+Tab", "move between fields"), ("Enter", "continue"))
CLOSING = "Raise your hand if you need the proctor: they come to you. Every answer you chose is already saved."


def help_rows(screen: str, *, calculator: bool, read_aloud: bool, reader: bool = False) -> list[tuple[str, str]]:
    """(keys, meaning): the screen underneath first, then the exam's keys; ("Heading", "") opens a group."""
    if screen in WAITING:  # nothing to answer: no keys to list but this help's own
        return [WAITING[screen], *ALWAYS_KEYS]
    rows: list[tuple[str, str]] = []
    rows.extend(SCREEN_KEYS.get(screen, FORM_KEYS if screen in ("CheckInScreen", "UnlockScreen") else ()))
    rows.extend(QUESTION_KEYS if not reader else [*QUESTION_KEYS[:-1], ("T", "say the time left")])
    if calculator:
        rows.extend(CALCULATOR_KEYS)
    if read_aloud:
        rows.extend(READ_ALOUD_KEYS)
    rows.extend(ALWAYS_KEYS)
    if screen != "CalculatorScreen" and calculator:
        rows.extend(SCREEN_KEYS["CalculatorScreen"])
    if screen != "ReviewScreen":
        rows.extend(SCREEN_KEYS["ReviewScreen"])
    unique: list[tuple[str, str]] = []
    for row in rows:
        if row not in unique:
            unique.append(row)
    return unique


def help_text(screen: str, *, calculator: bool, read_aloud: bool, reader: bool = False) -> str:
    """The help as plain text: what the screen shows, without its columns."""
    lines: list[str] = []
    for keys, meaning in help_rows(screen, calculator=calculator, read_aloud=read_aloud, reader=reader):
        if not meaning:
            lines.extend(["", keys.upper()] if lines else [keys.upper()])
        else:
            lines.append(f"  {keys:<22} {meaning}")
    return "\n".join([*lines, "", WAITING_NOTES.get(screen, CLOSING)])


def help_table(rows: list[tuple[str, str]], *, narrow: bool, closing: str = CLOSING) -> Group:
    """Keys in one column and meanings wrapped beside them; at 40 columns each meaning under its keys."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=2 if narrow else 25, no_wrap=not narrow)
    grid.add_column(ratio=1)
    for number, (keys, meaning) in enumerate(rows):
        if not meaning:
            if number:
                grid.add_row(Text(""), Text(""))
            grid.add_row(Text(keys.upper(), style="bold"), Text("")) if not narrow else grid.add_row(
                Text(""), Text(keys.upper(), style="bold")
            )
        elif narrow:
            grid.add_row(Text(""), Text(keys, style="bold"))
            grid.add_row(Text(""), Text("  " + meaning))
        else:
            grid.add_row(Text("  " + keys), Text(meaning))
    return Group(grid, Text("\n" + closing))


class HelpScreen(ModalScreen[None]):
    """Every key, for the screen underneath first; any closing key returns to it unchanged."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,f1,question_mark,enter", "close", show=False),
        Binding("down,j", "scroll(1)", show=False),
        Binding("up,k", "scroll(-1)", show=False),
        Binding("pagedown,space", "page(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
    ]

    def __init__(
        self, screen: str, *, calculator: bool = False, read_aloud: bool = False, reader: bool = False
    ) -> None:
        super().__init__()
        self.under = screen
        self.calculator = calculator
        self.read_aloud = read_aloud
        self.reader = reader
        self.text = help_text(screen, calculator=calculator, read_aloud=read_aloud, reader=reader)

    def compose(self) -> ComposeResult:
        rows = help_rows(self.under, calculator=self.calculator, read_aloud=self.read_aloud, reader=self.reader)
        with Vertical(id="panel"):
            yield Static("HELP  Escape closes, Up/Down scroll", id="title")
            with VerticalScroll(id="keys"):
                # Rich Text cells: rendered literally, never as markup.
                yield Static(
                    help_table(rows, narrow=self.app.size.width < 80, closing=WAITING_NOTES.get(self.under, CLOSING)),
                    id="text",
                )

    def on_resize(self, event: Resize) -> None:
        rows = help_rows(self.under, calculator=self.calculator, read_aloud=self.read_aloud, reader=self.reader)
        self.query_one("#text", Static).update(
            help_table(rows, narrow=event.size.width < 80, closing=WAITING_NOTES.get(self.under, CLOSING))
        )

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, step: int) -> None:
        self.query_one("#keys", VerticalScroll).scroll_relative(y=step, animate=False)

    def action_page(self, step: int) -> None:
        body = self.query_one("#keys", VerticalScroll)
        body.scroll_relative(y=step * max(1, body.size.height - 1), animate=False)
