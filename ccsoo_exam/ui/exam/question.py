"""The question screen: one question, its options, where the candidate is, and the time.

Every change goes through the live sitting, which commits before it returns; only then
does the screen redraw and say "Saved". A failed commit redraws nothing new and calls
the proctor.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from ccsoo_exam.bank import LETTERS
from ccsoo_exam.errors import StoreError
from ccsoo_exam.ledger import format_clock
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.text import literal
from ccsoo_exam.ui.exam.messages import OptionClicked, SaveFailed, SubmitConfirmed
from ccsoo_exam.ui.exam.modals import ConfirmSubmitModal, GotoModal
from ccsoo_exam.ui.exam.review import ReviewScreen
from ccsoo_exam.ui.exam.widgets import Navigator, OptionRow, StatusBar

KEYS_HELP = "F1 or ? all keys  A-D answer  N/P move  F flag  X rule out  R review  S submit"
MORE_BELOW = "-- more below: J or Shift+Down reads on --  F1 or ? all keys"
MORE_SETTLE_SECONDS = 0.05
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
        body = VerticalScroll(id="body")
        body.can_focus = False  # arrows belong to the options; the body scrolls to the highlight
        with body:
            yield Static(id="stem", markup=False)
            for index in range(len(LETTERS)):  # rows past the item's own options are hidden
                yield OptionRow(index)
        yield Static(self.keys_help, id="keys", markup=False)

    def on_mount(self) -> None:
        self.redraw()
        body = self.query_one("#body", VerticalScroll)
        # A long item says so: the footer turns into a "more below" marker while text is hidden.
        self.watch(body, "scroll_y", self._scrolled, init=False)
        self.watch(body, "virtual_size", self.settle_more, init=False)

    def on_resize(self) -> None:
        self.settle_more()

    def _scrolled(self, _: object = None) -> None:
        self.show_more()  # the candidate scrolled: say so at once

    def settle_more(self, _: object = None) -> None:
        """Decide the marker once the layout has settled: a new question is laid out in a few
        passes, and a marker that flickers on and off is text written for nothing."""
        if self._more_timer is not None:
            self._more_timer.reset()
        else:
            self._more_timer = self.set_timer(MORE_SETTLE_SECONDS, self._settled)

    def _settled(self) -> None:
        self._more_timer = None
        self.show_more()

    def footer_text(self, below: bool, above: bool, body: VerticalScroll) -> str:
        """The footer: the keys, or a marker while part of the question is out of sight."""
        if below:
            return MORE_BELOW
        if above:
            return MORE_ABOVE
        return self.keys_help

    def show_more(self) -> None:
        if not self.is_attached:
            return
        body = self.query_one("#body", VerticalScroll)
        below = body.max_scroll_y > 0 and body.scroll_y < body.max_scroll_y
        above = body.scroll_y > 0
        text = self.footer_text(below, above, body)
        if text != self._footer:
            self._footer = text
            self.query_one("#keys", Static).update(text, layout=False)  # one line: no new layout

    # -- drawing ---------------------------------------------------------------------

    def redraw(self) -> None:
        """Redraw what changed. A keypress must stay cheap: unchanged widgets are not touched,
        because every update costs a layout and a render."""
        live = self.live
        state = live.current()
        item = live.item(live.position)
        stem = (live.position, state.flagged)
        if self._drawn.get("stem") != stem:
            self._drawn["stem"] = stem
            flag = "  [FLAGGED]" if state.flagged else ""
            module = live.package.banks[state.item.bank].title
            self.query_one("#stem", Static).update(
                literal(f"Question {live.position + 1}: {module}{flag}\n{item.stem}")
            )
            self.settle_more()
        count = len(state.item.option_order)
        if self._drawn.get("count") != count:
            # Only when the option count changes (never within the 4-option CCSOO banks).
            self._drawn["count"] = count
            for index in range(len(LETTERS)):
                self.query_one(f"#option-{index}", OptionRow).display = index < count
            self.keys_help = keys_help(count) if type(self).keys_help == KEYS_HELP else type(self).keys_help
            self.show_more()
        for index, shown in enumerate(LETTERS[:count]):
            authored = state.item.authored(shown)
            row = (
                shown,
                item.options[authored],
                state.answer == authored,
                authored in state.struck,
                index == self.highlight,
            )
            if self._drawn.get(index) != row:
                self._drawn[index] = row
                self.query_one(f"#option-{index}", OptionRow).show(*row)
        marks = (live.position, tuple((r.answer is not None, r.flagged) for r in live.responses))
        if self._drawn.get("navigator") != marks:
            self._drawn["navigator"] = marks
            self.query_one(Navigator).show(live.responses, live.position)
        self.refresh_status()

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

    def _count(self) -> int:
        return len(self.live.current().item.option_order)

    def action_choose(self, shown: str) -> None:
        if LETTERS.index(shown) >= self._count():
            return  # E or 5 on a four-option question: not an option, so nothing happens
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
        self.highlight = (self.highlight + step) % self._count()
        self.redraw()
        self.query_one("#body", VerticalScroll).scroll_to_widget(
            self.query_one(f"#option-{self.highlight}"), animate=False
        )

    def action_read_on(self, step: int) -> None:
        """Scroll a long question by a page (less a line, to keep the place)."""
        body = self.query_one("#body", VerticalScroll)
        body.scroll_relative(y=step * max(1, body.size.height - 1), animate=False)

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
        if self._save(lambda: self.live.navigate(position)):
            self.query_one("#body", VerticalScroll).scroll_home(animate=False)

    def action_flag(self) -> None:
        position = self.live.position
        self._save(lambda: self.live.toggle_flag(position))

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
