"""The question screen: one question, its options, where the candidate is, and the time.

Every change goes through the live sitting, which commits before it returns; only then
does the screen redraw and say "Saved". A failed commit redraws nothing new and calls
the proctor.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import messages, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from ccsoo_exam.bank import LETTERS
from ccsoo_exam.errors import StoreError
from ccsoo_exam.ledger import format_clock
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.ui.exam.messages import OptionClicked, SaveFailed, SubmitConfirmed
from ccsoo_exam.ui.exam.modals import ConfirmSubmitModal, GotoModal
from ccsoo_exam.ui.exam.review import ReviewScreen
from ccsoo_exam.ui.exam.widgets import Navigator, QuestionBody, StatusBar, option_text

KEYS_HELP = (
    "A-D/1-4 answer  Up/Down+Enter choose  P/N or Left/Right move  F flag  X rule out  G go to  R review  S submit  "
    "T timer"
)


class QuestionScreen(Screen[None]):
    CSS_PATH = "question.tcss"
    BINDINGS = [
        *(Binding(k, f"choose('{letter}')", show=False) for letter in LETTERS for k in (letter.lower(), letter)),
        *(Binding(str(n), f"choose('{letter}')", show=False) for n, letter in enumerate(LETTERS, start=1)),
        Binding("up", "highlight(-1)", show=False),
        Binding("down", "highlight(1)", show=False),
        Binding("enter", "choose_highlighted", show=False),
        Binding("space", "choose_highlighted", show=False),
        Binding("n,right,pagedown", "move(1)", show=False),
        Binding("p,left,pageup", "move(-1)", show=False),
        Binding("home", "go(0)", show=False),
        Binding("end", "go(-1)", show=False),
        Binding("f", "flag", show=False),
        Binding("x", "strike", show=False),
        Binding("delete,backspace", "clear", show=False),
        Binding("g", "goto", show=False),
        Binding("r", "review", show=False),
        Binding("s", "submit", show=False),
        Binding("t", "toggle_timer", show=False),
    ]

    def __init__(self, live: LiveSitting) -> None:
        super().__init__()
        self.live = live
        self.highlight = 0
        self.saved = "Saved"
        self._drawn: dict[object, object] = {}  # what each widget shows now, to skip unchanged updates

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Navigator(id="navigator")
        yield QuestionBody(id="body")  # arrows belong to the options; the body keeps the highlight in view
        yield Static(KEYS_HELP, id="keys")

    def on_mount(self) -> None:
        self.redraw()

    # -- drawing ---------------------------------------------------------------------

    def redraw(self) -> None:
        """Redraw what changed. A keypress must stay cheap: unchanged widgets are not touched, and
        none of the widgets drawn here changes size, so no keypress costs a layout of the screen."""
        live = self.live
        state = live.current()
        body = (live.position, state.flagged, state.answer, state.struck, self.highlight)
        drawn = self._drawn.get("body")
        changed: list[Widget] = []
        if drawn != body:
            self._drawn["body"] = body
            new_question = drawn is None or drawn[0] != live.position  # type: ignore[index]
            question = self.query_one(QuestionBody)
            question.show(*self._texts(live.position, self.highlight), self.highlight, new_question)
            changed.append(question)
            if new_question and live.position + 1 < live.count:
                # The next question is the likeliest key: wrap it once this frame is out.
                self.call_after_refresh(self._prepare, live.position + 1)
        marks = (live.position, tuple((r.answer is not None, r.flagged) for r in live.responses))
        if self._drawn.get("navigator") != marks:
            self._drawn["navigator"] = marks
            navigator = self.query_one(Navigator)
            navigator.show(live.responses, live.position)
            changed.append(navigator)
        if self.refresh_status():
            changed.append(self.query_one(StatusBar))
        # One frame for the whole change: each widget would otherwise report itself from its own
        # task, and on a busy machine the status bar regularly arrived a frame (16-25 ms) after
        # the question. Telling the screen now puts them all in the same compositor pass.
        for widget in changed:
            self.post_message(messages.Update(widget))

    def _texts(self, position: int, highlight: int) -> tuple[Text, tuple[Text, ...]]:
        """The stem and the four options of one question, in its current state, as drawn."""
        live = self.live
        state = live.responses[position]
        item = live.item(position)
        flag = "  [FLAGGED]" if state.flagged else ""
        module = live.package.banks[state.item.bank].title
        stem = Text(f"Question {position + 1}: {module}{flag}\n\n{item.stem}")  # literal, never markup
        options = tuple(
            option_text(
                shown,
                item.options[state.item.authored(shown)],
                state.answer == state.item.authored(shown),
                state.item.authored(shown) in state.struck,
                index == highlight,
            )
            for index, shown in enumerate(LETTERS)
        )
        return stem, options

    def _prepare(self, position: int) -> None:
        if self.is_mounted:
            self.query_one(QuestionBody).prepare(*self._texts(position, 0))

    def refresh_status(self) -> bool:
        """Redraw the status bar if its text changed; whether it did."""
        live = self.live
        module = live.current().item.module
        left = f"Module {module}  Question {live.position + 1} of {live.count}  Answered {live.answered()}"
        clock = "" if live.timer_hidden else format_clock(live.ledger.remaining)
        status = (left, self.saved, clock)
        if self._drawn.get("status") == status:
            return False
        self._drawn["status"] = status
        self.query_one(StatusBar).show(*status)
        return True

    # -- saving ----------------------------------------------------------------------

    def _save(self, change: Callable[[], object]) -> bool:
        self.saved = "Saving..."
        try:
            change()
        except StoreError as error:
            self.saved = "NOT SAVED"
            self.refresh_status()
            self.post_message(SaveFailed(error))
            return False
        self.saved = "Saved"
        self.redraw()
        return True

    # -- actions ---------------------------------------------------------------------

    def action_choose(self, shown: str) -> None:
        position = self.live.position
        self.highlight = LETTERS.index(shown)
        self._save(lambda: self.live.answer(position, shown))

    def action_choose_highlighted(self) -> None:
        self.action_choose(LETTERS[self.highlight])

    @on(OptionClicked)
    def _clicked(self, message: OptionClicked) -> None:
        self.action_choose(LETTERS[message.index])

    def action_clear(self) -> None:
        position = self.live.position
        if self.live.current().answer is not None:
            self._save(lambda: self.live.answer(position, None))

    def action_highlight(self, step: int) -> None:
        self.highlight = (self.highlight + step) % 4
        self.redraw()

    def action_move(self, step: int) -> None:
        target = self.live.position + step
        if 0 <= target < self.live.count:
            self.go_to(target)

    def action_go(self, position: int) -> None:
        self.go_to(position % self.live.count)

    def go_to(self, position: int) -> None:
        if self.live.definition.navigation == "forward-only" and position < self.live.position:
            self.notify("This exam moves forward only.", timeout=3)
            return
        self.highlight = 0
        self._save(lambda: self.live.navigate(position))

    def action_flag(self) -> None:
        position = self.live.position
        self._save(lambda: self.live.toggle_flag(position))

    def action_strike(self) -> None:
        position, shown = self.live.position, LETTERS[self.highlight]
        state = self.live.current()
        if state.answer is not None and state.item.authored(shown) == state.answer:
            self.notify("That option is your answer. Choose another answer before ruling it out.", timeout=4)
            return
        self._save(lambda: self.live.toggle_strike(position, shown))

    def action_toggle_timer(self) -> None:
        hidden = not self.live.timer_hidden
        self._save(lambda: self.live.set_timer_hidden(hidden))

    def action_goto(self) -> None:
        self.app.push_screen(GotoModal(self.live.count), lambda p: self.go_to(p) if p is not None else None)

    def action_review(self) -> None:
        if self.live.definition.navigation == "free":
            self.app.push_screen(ReviewScreen(self.live), self._reviewed)

    def _reviewed(self, position: int | None) -> None:
        if position == -1:
            self.action_submit()
        elif position is not None:
            self.go_to(position)

    def action_submit(self) -> None:
        live = self.live
        self.app.push_screen(ConfirmSubmitModal(live.count - live.answered(), live.flagged()), self._confirmed)

    def _confirmed(self, yes: bool | None) -> None:
        if yes:
            self.post_message(SubmitConfirmed())
