"""The question screen: one question, its options, where the candidate is, and the time.

Every change goes through the live sitting, which commits before it returns; only then
does the screen redraw and say "Saved". A failed commit redraws nothing new and calls
the proctor.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from ccsoo_exam.bank import LETTERS
from ccsoo_exam.errors import StoreError
from ccsoo_exam.ledger import format_clock
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.text import literal
from ccsoo_exam.ui.exam.body import QuestionBody
from ccsoo_exam.ui.exam.messages import OptionClicked, SaveFailed, SubmitConfirmed
from ccsoo_exam.ui.exam.modals import ConfirmSubmitModal, GotoModal
from ccsoo_exam.ui.exam.review import ReviewScreen
from ccsoo_exam.ui.exam.widgets import Navigator, StatusBar, option_text
from ccsoo_exam.ui.frames import one_frame, render_frame

KEYS_HELP = "F1 or ? all keys  A-D answer  N/P move  F flag  X rule out  R review  S submit"
MORE_BELOW = "-- more below: J or Shift+Down reads on --  F1 or ? all keys"
MORE_SETTLE_SECONDS = 0.05
PREPARE_DELAY = 0.1  # seconds after a move before the next question is wrapped
MORE_ABOVE = "-- end of question; K or Shift+Up goes back --  F1 or ? all keys"


def keys_help(count: int) -> str:
    """The key line for a question with ``count`` options (3 to 5): only the keys that answer it."""
    return KEYS_HELP.replace("A-D answer", f"A-{LETTERS[count - 1]} answer", 1)


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
        Binding("j,shift+down", "read_on(1)", show=False),
        Binding("k,shift+up", "read_on(-1)", show=False),
    ]
    keys_help = KEYS_HELP
    STEM_GAP = 1  # blank lines between the stem and the options

    def __init__(self, live: LiveSitting) -> None:
        super().__init__()
        self.live = live
        self.highlight = 0
        self.saved = "Saved"
        self._drawn: dict[object, object] = {}  # what each widget shows now, to skip unchanged updates
        self._footer = ""
        self._more_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Navigator(id="navigator")
        yield QuestionBody(id="body")
        yield Static(self.keys_help, id="keys", markup=False)

    def on_mount(self) -> None:
        body = self.query_one("#body")
        if isinstance(body, QuestionBody):  # the reader's screen has a body of plain texts
            body.stem_gap = self.STEM_GAP
        self.redraw()

    @on(QuestionBody.Scrolled)
    def _scrolled(self, _: object = None) -> None:
        self.show_more()  # the candidate scrolled, or the body has a new size: say so at once

    def settle_more(self, _: object = None) -> None:
        """Decide the marker once the layout has settled (a body of widgets, as the reader's,
        is laid out in a few passes, and a marker that flickers is text written for nothing)."""
        if self._more_timer is not None:
            self._more_timer.reset()
        else:
            self._more_timer = self.set_timer(MORE_SETTLE_SECONDS, self._settled)

    def _settled(self) -> None:
        self._more_timer = None
        self.show_more()

    def footer_text(self, below: bool, above: bool, body: QuestionBody) -> str:
        """The footer: the keys, or a marker while part of the question is out of sight."""
        if below:
            return MORE_BELOW
        if above:
            return MORE_ABOVE
        return self.keys_help

    def show_more(self) -> None:
        if not self.is_attached:
            return
        body = self.query_one("#body")
        below = body.max_scroll_y > 0 and body.scroll_y < body.max_scroll_y
        above = body.scroll_y > 0
        text = self.footer_text(below, above, body)
        if text != self._footer:
            self._footer = text
            self.query_one("#keys", Static).update(text, layout=False)  # one line: no new layout

    # -- drawing ---------------------------------------------------------------------

    def redraw(self, write: bool = True) -> Callable[[], None]:
        """Redraw what changed. A keypress must stay cheap: unchanged widgets are not touched,
        and none of the widgets drawn here changes size, so no key costs a layout.

        ``write=False`` renders the frame and returns what writes it (``_save``)."""
        live = self.live
        count = len(live.current().item.option_order)
        if self._drawn.get("count") != count:
            # Only when the option count changes (never within the 4-option CCSOO banks).
            self._drawn["count"] = count
            self.keys_help = keys_help(count) if type(self).keys_help == KEYS_HELP else type(self).keys_help
        stem, options = self._texts(live.position, self.highlight)
        shown = (live.position, stem, options)
        if self._drawn.get("body") != shown:
            new_question = self._drawn.get("position") != live.position
            self._drawn["body"], self._drawn["position"] = shown, live.position
            self.query_one("#body", QuestionBody).show(stem, options, self.highlight, top=new_question)
            if new_question:
                # Wrap what the next key will show while the candidate reads: once this frame
                # is on the terminal (Textual writes it from a thread that needs the GIL).
                self.set_timer(PREPARE_DELAY, partial(self._prepare, live.position))
        self.show_more()
        marks = (live.position, tuple((r.answer is not None, r.flagged) for r in live.responses))
        if self._drawn.get("navigator") != marks:
            self._drawn["navigator"] = marks
            self.query_one(Navigator).show(live.responses, live.position)
        self.refresh_status()
        frame = render_frame(self, self.children)
        if write:
            frame()
        return frame

    def _texts(self, position: int, highlight: int) -> tuple[Text, tuple[Text, ...]]:
        """The stem and the options of one question in its current state, as drawn (literal
        text: outside text is never markup and never reaches the terminal as control codes)."""
        live = self.live
        state = live.responses[position]
        item = live.item(position)
        flag = "  [FLAGGED]" if state.flagged else ""
        module = live.package.banks[state.item.bank].title
        stem = Text(literal(f"Question {position + 1}: {module}{flag}\n{item.stem}"))
        options = tuple(
            option_text(
                shown,
                item.options[state.item.authored(shown)],
                state.answer == state.item.authored(shown),
                state.item.authored(shown) in state.struck,
                index == highlight,
            )
            for index, shown in enumerate(LETTERS[: len(state.item.option_order)])
        )
        return stem, options

    def _prepare(self, position: int) -> None:
        """Wrap this question's options as an answer will draw them (chosen and highlighted,
        or neither), and the next question as a move will draw it."""
        if not self.is_attached or position >= self.live.count:
            return
        body = self.query_one("#body", QuestionBody)
        live = self.live
        state, item = live.responses[position], live.item(position)
        variants = []
        for shown in LETTERS[: len(state.item.option_order)]:
            authored = state.item.authored(shown)
            text, struck = item.options[authored], authored in state.struck
            variants += [option_text(shown, text, True, False, True), option_text(shown, text, False, struck, False)]
        body.wrap_options(tuple(variants))
        if position + 1 < live.count:
            body.prepare(*self._texts(position + 1, 0))

    def refresh_status(self) -> None:
        live = self.live
        module = live.current().item.module
        left = f"Module {module}  Question {live.position + 1} of {live.count}  Answered {live.answered()}"
        clock = "" if live.timer_hidden else format_clock(live.ledger.remaining)
        status = (left, self.saved, clock)
        if self._drawn.get("status") != status:
            self._drawn["status"] = status
            self.query_one(StatusBar).show(*status)

    # -- saving ----------------------------------------------------------------------

    def _save(self, change: Callable[[Callable[[], None]], object]) -> bool:
        """Make a change, rendering it while it commits; write the frame once it is on disk.

        ``change`` gets the drawing step and gives it to the live sitting, which runs it
        with the change in the mirror while the COMMIT runs (or after it, for a change the
        mirror does not hold). Nothing reaches the terminal before the commit returned: a
        failed one drops the frame and draws what is on disk, with "NOT SAVED".
        """
        frames: list[Callable[[], None]] = []

        def draw() -> None:
            self.saved = "Saved"
            frames.append(self.redraw(write=False))

        try:
            change(draw)
        except StoreError as error:
            self.saved = "NOT SAVED"
            for widget in self.children:
                widget.refresh()  # the frame rendered for the change is never written
            self.redraw()  # the mirror is back: what differs from the change is drawn again
            self.post_message(SaveFailed(error))
            return False
        if frames:
            frames[-1]()
        else:
            self.saved = "Saved"
            self.redraw()
        return True

    # -- actions ---------------------------------------------------------------------

    def _count(self) -> int:
        return len(self.live.current().item.option_order)

    def action_choose(self, shown: str) -> None:
        if LETTERS.index(shown) >= self._count():
            return  # E or 5 on a four-option question: not an option, so nothing happens
        position = self.live.position
        self.highlight = LETTERS.index(shown)
        self._save(lambda draw: self.live.answer(position, shown, draw))

    def action_choose_highlighted(self) -> None:
        self.action_choose(LETTERS[self.highlight])

    @on(OptionClicked)
    def _clicked(self, message: OptionClicked) -> None:
        self.action_choose(LETTERS[message.index])

    def action_clear(self) -> None:
        position = self.live.position
        if self.live.current().answer is not None:
            self._save(lambda draw: self.live.answer(position, None, draw))

    def action_highlight(self, step: int) -> None:
        self.highlight = (self.highlight + step) % self._count()
        self.redraw()  # the body keeps the highlighted option in view

    def action_read_on(self, step: int) -> None:
        """Scroll a long question by a page (less a line, to keep the place)."""
        body = self.query_one("#body")
        body.scroll_relative(y=step * max(1, body.size.height - 1), animate=False)
        self.show_more()
        one_frame(self, self.children)

    def action_move(self, step: int) -> None:
        target = self.live.position + step
        if 0 <= target < self.live.count:
            self.go_to(target)

    def action_go(self, position: int) -> None:
        self.go_to(position % self.live.count)

    def go_to(self, position: int) -> None:
        if self.live.definition.navigation == "forward-only" and position < self.live.position:
            self.notify(literal("This exam moves forward only."), timeout=3, markup=False)
            return
        self.highlight = 0
        if self._save(lambda draw: self.live.navigate(position, draw)):
            self.query_one("#body").scroll_home(animate=False)

    def action_flag(self) -> None:
        position = self.live.position
        self._save(lambda draw: self.live.toggle_flag(position, draw))

    def action_strike(self) -> None:
        position, shown = self.live.position, LETTERS[self.highlight]
        state = self.live.current()
        if state.answer is not None and state.item.authored(shown) == state.answer:
            self.notify(
                literal("That option is your answer. Choose another answer before ruling it out."),
                timeout=4,
                markup=False,
            )
            return
        self._save(lambda draw: self.live.toggle_strike(position, shown, draw))

    def action_toggle_timer(self) -> None:
        hidden = not self.live.timer_hidden
        self._save(lambda draw: (self.live.set_timer_hidden(hidden), draw()))

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
