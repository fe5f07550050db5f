"""The rating story: unlock the package with the exam key, the judge signs in, rates item after item.

Nothing of an item is on screen before the exam key has opened the package. Each rating is
committed on Enter (one transaction) and the screen says "saved" only after the commit
returned; signing in again (after a crash, say) resumes at the judge's first unrated item of
the round. In round 2 and later the screen shows the round-1 mean of the other judges and,
once merged results exist, the item's p-value.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from ccsoo_exam.bank import Item
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.psychometrics.angoff import HofsteeJudgement, Rating
from ccsoo_exam.store import standard as store
from ccsoo_exam.ui.standard.context import RatingContext
from ccsoo_exam.ui.standard.messages import RatingSaved


class UnlockScreen(Screen[None]):
    """The exam key opens the package; until then no item content exists in this process."""

    CSS_PATH = "rating.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "app.quit", "Quit")]

    def __init__(self, context: RatingContext) -> None:
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble(("CCSOO standard setting", "bold"), f" · {self.context.definition.title}"), id="title"
        )
        with Vertical(id="form"):
            yield Label("Exam key (from the administrator)")
            yield Input(password=True, id="key", max_length=200)
            yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#key", Input).focus()

    @on(Input.Submitted, "#key")
    def unlock(self, event: Input.Submitted) -> None:
        try:
            package = self.context.open_package(self.context.definition, event.value)
        except CcsooError as error:
            self.query_one("#status", Static).update(Text(str(error.problems[0].message)))
            event.input.value = ""
            return
        self.app.switch_screen(JudgeScreen(self.context, package))


class JudgeScreen(Screen[None]):
    """The judge names themself; their saved ratings of this round are found again."""

    CSS_PATH = "rating.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "app.quit", "Quit")]

    def __init__(self, context: RatingContext, package: object) -> None:
        super().__init__()
        self.context = context
        self.package = package

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("CCSOO standard setting", "bold"), f" · round {self.context.round}"), id="title")
        with Vertical(id="form"):
            yield Label("Your name (judge)")
            yield Input(placeholder="e.g. Dana Okafor", id="judge", max_length=80)
            yield Static(
                "Rate each item: the chance, 0-100, that a minimally competent candidate answers it correctly.",
                id="status",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#judge", Input).focus()

    @on(Input.Submitted, "#judge")
    def sign_in(self, event: Input.Submitted) -> None:
        judge = " ".join(event.value.split())
        if not judge:
            self.query_one("#status", Static).update("Type your name first.")
            return
        store.sign_in(self.context.conn, self.context.definition.exam, judge, self.context.wall())
        self.app.switch_screen(RatingScreen(self.context, self.package, judge))


class RatingScreen(Screen[None]):
    """One item at a time: its content, the key, round-1 feedback, and the judge's rating."""

    CSS_PATH = "rating.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pageup", "move(-1)", "Previous"),
        Binding("pagedown", "move(1)", "Next"),
        Binding("ctrl+n", "next_unrated", "Next unrated"),
        Binding("ctrl+o", "hofstee", "Hofstee"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def __init__(self, context: RatingContext, package: object, judge: str) -> None:
        super().__init__()
        self.context = context
        self.judge = judge
        banks = package.banks  # type: ignore[attr-defined]
        self.items: list[tuple[str, int, Item]] = [
            (f"{bank.id}/{item.id}", bank.module, item)
            for entry in context.definition.blueprint
            if (bank := banks.get(entry.bank)) is not None
            for item in bank.items
        ]
        exam = context.definition.exam
        self.saved = store.judge_ratings(context.conn, exam, judge, context.round)
        self.round1 = store.round_means(context.conn, exam, 1) if context.round > 1 else {}
        keys = {name: item.key for name, _, item in self.items}
        self.p_values = store.p_values(context.conn, exam, keys) if context.round > 1 else {}
        self.index = next((i for i, (name, _, _) in enumerate(self.items) if name not in self.saved), 0)

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        with VerticalScroll(id="item"):
            yield Static(id="stem")
            yield Static(id="options")
            yield Static(id="feedback")
        with Vertical(id="entry"):
            yield Label("Your rating, 0-100 (Enter saves and moves on)")
            yield Input(id="rating", max_length=6, restrict=r"[0-9.]*")
            yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.show()
        self.query_one("#rating", Input).focus()

    @property
    def current(self) -> tuple[str, int, Item]:
        return self.items[self.index]

    def show(self) -> None:
        name, module, item = self.current
        done = sum(1 for n, _, _ in self.items if n in self.saved)
        self.query_one("#title", Static).update(
            Text.assemble(
                ("Round ", "bold"),
                (str(self.context.round), "bold"),
                f" · {self.judge} · item {self.index + 1} of {len(self.items)} · module {module} · {name} · "
                f"{done} rated",
            )
        )
        self.query_one("#stem", Static).update(Text(item.stem))
        options = Text()
        for letter in item.options:
            style = "bold" if letter == item.key else ""
            options.append(f"{letter}{' (key)' if letter == item.key else ''}  ", style=style)
            options.append(item.options[letter] + "\n", style=style)
        self.query_one("#options", Static).update(options)
        feedback = []
        if self.context.round > 1:
            mean = self.round1.get(name)
            feedback.append(
                f"Round-1 mean {100 * mean[0]:.0f} ({mean[1]} judges)" if mean else "Round-1 mean: no ratings"
            )
            p = self.p_values.get(name)
            feedback.append(f"p-value {p:.2f}" if p is not None else "p-value: no results yet")
        self.query_one("#feedback", Static).update(Text(" · ".join(feedback)))
        value = self.saved.get(name)
        self.query_one("#rating", Input).value = "" if value is None else f"{100 * value:g}"
        self.query_one("#status", Static).update("saved" if value is not None else "not rated yet")

    @on(Input.Submitted, "#rating")
    def save(self, event: Input.Submitted) -> None:
        status = self.query_one("#status", Static)
        try:
            value = float(event.value)
        except ValueError:
            status.update("Type a number from 0 to 100.")
            return
        if not 0 <= value <= 100:
            status.update("The rating must be from 0 to 100.")
            return
        name = self.current[0]
        rating = Rating(self.judge, name, value / 100, self.context.round)
        try:
            store.save_rating(self.context.conn, self.context.definition.exam, rating, self.context.wall())
        except (sqlite3.Error, OSError, CcsooError) as exc:  # a failed commit is said; the value stays typed
            status.update(Text(f"NOT SAVED: {exc}"))
            return
        self.saved[name] = rating.rating
        self.post_message(RatingSaved(name, rating.rating))
        if self.index + 1 < len(self.items):
            self.index += 1
        self.show()

    def action_move(self, step: int) -> None:
        self.index = max(0, min(len(self.items) - 1, self.index + step))
        self.show()

    def action_hofstee(self) -> None:
        self.app.push_screen(HofsteeScreen(self.context, self.judge))

    def action_next_unrated(self) -> None:
        pending = [i for i, (n, _, _) in enumerate(self.items) if n not in self.saved]
        if pending:
            self.index = next((i for i in pending if i > self.index), pending[0])
            self.show()
        else:
            self.query_one("#status", Static).update("Every item is rated. ctrl+q to finish.")


class HofsteeScreen(Screen[None]):
    """The judge's Hofstee bounds: lowest and highest acceptable cut and fail rate, in percent."""

    CSS_PATH = "rating.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]
    FIELDS = (
        ("min_cut", "Lowest acceptable cut (% correct)"),
        ("max_cut", "Highest acceptable cut (% correct)"),
        ("min_fail", "Lowest acceptable fail rate (%)"),
        ("max_fail", "Highest acceptable fail rate (%)"),
    )

    def __init__(self, context: RatingContext, judge: str) -> None:
        super().__init__()
        self.context = context
        self.judge = judge

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("Hofstee judgement", "bold"), f" · {self.judge}"), id="title")
        with Vertical(id="form"):
            for field, label in self.FIELDS:
                yield Label(label)
                yield Input(id=field, max_length=6, restrict=r"[0-9.]*")
            yield Static("Enter on the last field saves; Escape goes back.", id="status")
        yield Footer()

    def on_mount(self) -> None:
        saved = {h.judge: h for h in store.load_hofstee(self.context.conn, self.context.definition.exam)}
        mine = saved.get(self.judge)
        if mine is not None:
            for field, _ in self.FIELDS:
                self.query_one(f"#{field}", Input).value = f"{getattr(mine, field):g}"
        self.query_one("#min_cut", Input).focus()

    @on(Input.Submitted)
    def next_or_save(self, event: Input.Submitted) -> None:
        if event.input.id != "max_fail":
            self.focus_next()
            return
        status = self.query_one("#status", Static)
        try:
            values = [float(self.query_one(f"#{field}", Input).value) for field, _ in self.FIELDS]
        except ValueError:
            status.update("Fill in all four numbers (percent).")
            return
        if not all(0 <= v <= 100 for v in values) or values[0] > values[1] or values[2] > values[3]:
            status.update("Need 0 <= lowest <= highest <= 100 for the cut and for the fail rate.")
            return
        judgement = HofsteeJudgement(self.judge, *values)
        try:
            store.save_hofstee(self.context.conn, self.context.definition.exam, [judgement], "tui", self.context.wall())
        except (sqlite3.Error, OSError, CcsooError) as exc:
            status.update(Text(f"NOT SAVED: {exc}"))
            return
        status.update("saved")
        self.app.pop_screen()
