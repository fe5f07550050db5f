"""Accessibility accommodations: how each one changes the screens, and the smallest terminal.

Chosen at check-in and stored with the sitting (``sittings.accessibility``), so a resumed
sitting comes back the same way. The modes:

- high contrast: white on black, yellow highlights, no dimmed text (a theme);
- large print: for a doubled console font (``setfont -d``: 40x12 on an 80x24 console): the
  size notice accepts 40x12, the navigator gives way to a short status, questions are paged;
- screen reader: plain linear text with no box drawing and no ticking clock; nothing
  unchanged is redrawn, and each change (an answer saved, an option highlighted, the time
  asked for) is written once, as one line, for Linux console readers and braille displays;
- read aloud: L speaks the question and options through a local speech engine (espeak-ng)
  without blocking the exam; offered only where the engine is installed;
- reduced motion: no animations, no blinking cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.theme import Theme
from textual.widgets import Static

from ccsoo_exam.bank import LETTERS
from ccsoo_exam.ledger import format_clock
from ccsoo_exam.store.sittings import ACCESSIBILITY
from ccsoo_exam.ui.exam.body import QuestionBody
from ccsoo_exam.ui.exam.question import QuestionScreen
from ccsoo_exam.ui.exam.widgets import StatusBar
from ccsoo_exam.ui.frames import nothing_to_write

HIGH_CONTRAST, LARGE_PRINT, SCREEN_READER, READ_ALOUD, REDUCED_MOTION = ACCESSIBILITY
LABELS = {
    HIGH_CONTRAST: "High contrast (white on black)",
    LARGE_PRINT: "Large print (works at 40x12; double the console font)",
    SCREEN_READER: "Screen reader / braille (plain linear text)",
    READ_ALOUD: "Read aloud on request (L key, espeak-ng)",
    REDUCED_MOTION: "Reduced motion (no animation, steady cursor)",
}
NORMAL_SIZE, LARGE_PRINT_SIZE = (80, 24), (40, 12)

HIGH_CONTRAST_THEME = Theme(
    name="ccsoo-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#00ffff",
    warning="#ffff00",
    error="#ff4040",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#000000",
    boost="#000000",
    dark=True,
    variables={
        "text-muted": "#ffffff",
        "text-disabled": "#ffffff",
        "border": "#ffffff",
        "border-blurred": "#ffffff",
        "block-cursor-background": "#ffff00",
        "block-cursor-foreground": "#000000",
        "input-cursor-background": "#ffffff",
        "input-cursor-foreground": "#000000",
    },
)


def minimum_size(modes: Iterable[str]) -> tuple[int, int]:
    """The smallest terminal the exam accepts: 40x12 with large print, else 80x24."""
    return LARGE_PRINT_SIZE if LARGE_PRINT in set(modes) else NORMAL_SIZE


def screen_classes(modes: Iterable[str]) -> list[str]:
    """The CSS classes set on the app for these modes (see accessibility.tcss)."""
    return [f"-{mode}" for mode in ACCESSIBILITY if mode in set(modes)]


class LargePrintQuestionScreen(QuestionScreen):
    """The question for 40x12: a short status line, no navigator, the item in pages."""

    keys_help = "F1 or ? keys  A-D answer  N/P move"
    STEM_GAP = 0  # at 12 lines every line counts

    def refresh_status(self) -> None:
        live = self.live
        left = f"Q{live.position + 1}/{live.count} Ans {live.answered()}"
        clock = "" if live.timer_hidden else format_clock(live.ledger.remaining)
        status = (left, self.saved, clock)
        if self._drawn.get("status") != status:
            self._drawn["status"] = status
            self.query_one("#status", StatusBar).update(f"{left}  {self.saved}  {clock or 'T shows time'}".strip())

    def footer_text(self, below: bool, above: bool, body: QuestionBody) -> str:
        if not (below or above):
            return self.keys_help
        page_height = max(1, body.size.height - 1)
        pages = 1 + -(-body.max_scroll_y // page_height)
        page = min(pages, 1 + -(-int(body.scroll_y) // page_height))
        return f"page {page} of {pages}: J next, K back  F1 keys"


class ReaderQuestionScreen(QuestionScreen):
    """The question as plain linear text for a screen reader or braille display.

    No navigator, no box drawing, no styles, no clock redrawn each second. The question and
    its options are written when the candidate comes to it; after that only two lines ever
    change: ``#state`` (the answer, flag and save state) and ``#said`` (the last thing that
    happened: an option highlighted, the time asked for, a warning). Each is written once
    per change."""

    keys_help = "F1 or ? lists every key. T says the time left. R reviews."

    def compose(self) -> ComposeResult:
        # Composed with its text, so the first paint is the only one: a screen reader reads
        # whatever is written, and a second paint of the same question would be read twice.
        texts = self._texts()
        self._drawn.update(texts)
        self._drawn["stem-position"] = self.live.position
        body = VerticalScroll(id="body")
        body.can_focus = False
        with body:
            yield Static(texts["#stem"], id="stem", markup=False)
            for index in range(len(LETTERS)):  # an item has 3 to 5 options; the rest stay hidden
                option = Static(texts.get(f"#option-{index}", ""), id=f"option-{index}", markup=False, classes="option")
                option.display = f"#option-{index}" in texts
                yield option
            yield Static(texts["#state"], id="state", markup=False)
            yield Static("", id="said", markup=False)
        yield Static(self.keys_help, id="keys", markup=False)

    def on_mount(self) -> None:
        body = self.query_one("#body", VerticalScroll)
        # A long item says so: the footer turns into a "more below" marker while text is hidden.
        self.watch(body, "scroll_y", self._scrolled, init=False)
        self.watch(body, "virtual_size", self.settle_more, init=False)
        # (QuestionScreen.on_mount runs next, as Textual calls each class's handler: it draws.)

    def on_resize(self) -> None:
        self.settle_more()

    def _texts(self) -> dict[str, str]:
        """The question, its options and the state line, as plain text."""
        live = self.live
        state = live.current()
        item = live.item(live.position)
        module = live.package.banks[state.item.bank].title
        texts = {"#stem": f"Question {live.position + 1} of {live.count}. {module}.\n{item.stem}"}
        letters = LETTERS[: len(state.item.option_order)]
        for index, shown in enumerate(letters):
            authored = state.item.authored(shown)
            ruled_out = "(ruled out) " if authored in state.struck else ""
            texts[f"#option-{index}"] = f"{shown}. {ruled_out}{item.options[authored]}"
        answer = next((s for s in letters if state.answer == state.item.authored(s)), None)
        parts = [f"Question {live.position + 1}: " + (f"your answer is {answer}" if answer else "not answered")]
        if state.flagged:
            parts.append("flagged")
        parts.append(self.saved.lower() if self.saved != "NOT SAVED" else "NOT SAVED, call the proctor")
        texts["#state"] = ", ".join(parts) + f". {live.answered()} of {live.count} answered."
        return texts

    def redraw(self, write: bool = True) -> Callable[[], None]:
        """The texts go through Textual's own repaint, which writes once the key's handler
        has returned (after the change's commit), so there is no frame to hand back."""
        if self._drawn.get("stem-position") != self.live.position:
            self._drawn["stem-position"] = self.live.position
            self._update("#said", "")
        for selector, text in self._texts().items():
            self._update(selector, text)
        self.settle_more()
        return nothing_to_write

    def action_highlight(self, step: int) -> None:
        """Up/Down: the highlighted option is said as one line (the options stay as written)."""
        super().action_highlight(step)
        self.query_one("#body", VerticalScroll).scroll_to_widget(
            self.query_one(f"#option-{self.highlight}"), animate=False
        )
        live = self.live
        shown = LETTERS[self.highlight]
        self.announce(f"{shown}: {live.item(live.position).options[live.current().item.authored(shown)]}")

    def refresh_status(self) -> None:
        """The clock is not redrawn each second: T says it, and warnings are announced."""
        if self.saved == "NOT SAVED":
            self.redraw()

    def action_toggle_timer(self) -> None:
        self.action_say_time()

    def action_say_time(self) -> None:
        live = self.live
        self.announce(f"Time left {format_clock(live.ledger.remaining)}.")

    def announce(self, text: str) -> None:
        """Write one line about what just happened (the line is replaced, never scrolled)."""
        self._update("#said", text)

    def _update(self, selector: str, text: str) -> None:
        if self._drawn.get(selector) != text:
            self._drawn[selector] = text
            # The two changing lines have a fixed height, so a change is one write of that line;
            # a new layout would paint it a second time.
            self.query_one(selector, Static).update(text, layout=selector not in ("#state", "#said"))


def question_screen_class(modes: Iterable[str]) -> type[QuestionScreen]:
    chosen = set(modes)
    if SCREEN_READER in chosen:
        return ReaderQuestionScreen
    if LARGE_PRINT in chosen:
        return LargePrintQuestionScreen
    return QuestionScreen
