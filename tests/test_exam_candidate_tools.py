"""The candidate's help, calculator, 80x24 fit, review countdown and colour-free states (Pilot)."""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
from pathlib import Path

from rich.text import Text
from textual.widgets import Button, Input, Static

from ccsoo_exam.ui.exam.app import ExamApp, make_app
from ccsoo_exam.ui.exam.body import QuestionBody
from ccsoo_exam.ui.exam.calculator import CalculatorScreen
from ccsoo_exam.ui.exam.help import HelpScreen
from ccsoo_exam.ui.exam.instructions import InstructionsScreen
from ccsoo_exam.ui.exam.question import MORE_BELOW, QuestionScreen
from ccsoo_exam.ui.exam.review import ReviewScreen
from ccsoo_exam.ui.exam.unlock import Unlocked
from ccsoo_exam.ui.exam.widgets import option_text
from tests.conftest import DEMO_KEY
from tests.exam_fixtures import PIN, FakeClock, FakeWallClock, forms_checked, open_db, sample_package

SIZE = (80, 24)
# Outside the Linux console's default font: rounded corners, heavy and double lines, blocks, arrows.
CONSOLE_SAFE = {chr(c) for c in range(32, 127)} | set("─│┌┐└┘├┤┬┴┼")


def build(db: Path, clock: FakeClock | None = None, **options: object) -> tuple[ExamApp, sqlite3.Connection]:
    conn = open_db(db)
    package = sample_package()
    definition = options.pop("definition", package.definition)
    options.setdefault("speech", None)
    options.setdefault("console", False)
    app = make_app(
        definition,  # type: ignore[arg-type]
        conn,
        clock=clock or FakeClock(),
        wall_clock=FakeWallClock(),
        boot=lambda: None,
        stall_after=math.inf,
        timers=False,
        **options,
    )
    return app, conn


async def check_in(app: ExamApp, pilot, modes: tuple[str, ...] = (), start: bool = True) -> None:
    """Unlock (no KDF), check in with the given accessibility modes, accept and start."""
    package = sample_package()
    if app.definition is not package.definition:
        package = dataclasses.replace(package, definition=app.definition)
    app._unlocked(Unlocked(package, PIN))
    await forms_checked(app)
    await pilot.pause()
    app.screen.query_one("#candidate", Input).value = "C-001"
    app.screen.query_one("#name", Input).value = "Test Candidate"
    for mode in modes:
        app.screen.query_one(f"#mode-{mode}").value = True
    app.screen.query_one("#continue", Button).press()
    await pilot.pause()
    if not start:
        return
    app.screen.query_one("#identity").value = True
    app.screen.query_one("#accept").value = True
    await pilot.pause()
    app.screen.query_one("#start", Button).press()
    await pilot.pause()
    assert isinstance(app.screen, QuestionScreen)


async def settled(pilot, screen: QuestionScreen) -> None:
    """Until the "more" marker has been decided for the new layout (it waits for it to settle)."""
    for _ in range(100):
        await pilot.pause(0.02)
        if screen._more_timer is None:
            return
    raise AssertionError("the more marker was never decided")


def screen_text(app: ExamApp) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def events(conn: sqlite3.Connection, kind: str) -> list[dict]:
    return [json.loads(r[0]) for r in conn.execute("SELECT payload FROM events WHERE kind = ? ORDER BY seq", (kind,))]


async def test_help_opens_on_f1_and_question_mark_and_closes_back_to_the_same_place(tmp_path: Path) -> None:
    app, conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await check_in(app, pilot)
        question = app.screen
        await pilot.press("n", "c", "down")  # question 2, answer C, highlight D
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        for keys in ("A B C D or 1 2 3 4", "Delete or Backspace", "N, Right or PgDn", "G", "ctrl+k or =", "F1 or ?"):
            assert keys in app.screen.text, keys
        assert "HELP" in shown and "ANSWERING" in shown
        lowered = app.screen.text.lower()
        for leak in ("quit", "ctrl+q", "ctrl+c", "palette", "copy", "paste", "ctrl+o", DEMO_KEY.lower(), "key:"):
            assert leak not in lowered, f"help names {leak!r}"
        await pilot.press("a")  # keys under help do not reach the question
        await pilot.press("escape")
        assert app.screen is question and question.highlight == 3 and app.live.position == 1
        assert conn.execute("SELECT answer FROM responses WHERE position = 1").fetchone()[0] is not None
        assert app.live.responses[1].answer == app.live.responses[1].item.authored("C"), "A under help was not typed"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert app.screen is question
        await pilot.press("r", "f1")
        assert isinstance(app.screen, HelpScreen) and app.screen.text.startswith("REVIEW")
        await pilot.press("f1")
        assert isinstance(app.screen, ReviewScreen)


async def test_help_is_reachable_from_check_in_instructions_and_dialogs(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await check_in(app, pilot, start=False)
        assert isinstance(app.screen, InstructionsScreen)
        keys = str(app.screen.query_one("#keys", Static).content)
        assert "F1 or ? lists every key" in keys and "ctrl+k or = opens the calculator" in keys
        app.screen.query_one("#identity").value = True
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen) and "tick or untick" in app.screen.text
        await pilot.press("escape")
        assert isinstance(app.screen, InstructionsScreen) and app.screen.query_one("#identity").value
        app.screen.query_one("#accept").value = True
        await pilot.pause()
        app.screen.query_one("#start", Button).press()
        await pilot.pause()
        await pilot.press("g")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert type(app.screen).__name__ == "GotoModal"


async def test_calculator_opens_computes_closes_and_logs_only_its_use(tmp_path: Path) -> None:
    app, conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await check_in(app, pilot)
        await pilot.press("b")
        question = app.screen
        before = dict(conn.execute("SELECT position, answer FROM responses").fetchall())
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, CalculatorScreen)
        for key in ("1", "2", "asterisk", "3", "full_stop", "5", "enter"):
            await pilot.press(key)
        assert str(app.screen.query_one("#display", Static).content) == "42"
        await pilot.press("m", "c", "a", "d")  # letters are the keypad here, never answers
        assert str(app.screen.query_one("#display", Static).content) == "0"
        await pilot.press("1", "slash", "0", "equals_sign")
        assert "Error" in screen_text(app)
        await pilot.press("escape")
        assert app.screen is question
        assert dict(conn.execute("SELECT position, answer FROM responses").fetchall()) == before
        assert "(*) B." in question.query_one("#body").option(1).plain, "the question is as it was"
        await pilot.press("equals_sign")
        assert isinstance(app.screen, CalculatorScreen)
        await pilot.press("r")
        assert str(app.screen.query_one("#display", Static).content) == "42", "memory lasts while the sitting does"
        await pilot.press("ctrl+k")
        assert app.screen is question
        assert events(conn, "tool") == [{"action": a, "tool": "calculator"} for a in ("open", "close") * 2]
        logged = " ".join(r[0] for r in conn.execute("SELECT payload FROM events WHERE kind != 'check-in'"))
        assert "42" not in logged and "12" not in logged, "the numbers never reach the log"


async def test_no_calculator_where_the_exam_definition_says_none(tmp_path: Path) -> None:
    definition = dataclasses.replace(sample_package().definition, calculator="none")
    app, conn = build(tmp_path / "r.db", definition=definition)
    async with app.run_test(size=SIZE) as pilot:
        await check_in(app, pilot)
        await pilot.press("ctrl+k", "equals_sign")
        assert isinstance(app.screen, QuestionScreen)
        assert events(conn, "tool") == []
        await pilot.press("f1")
        assert "calculator" not in app.screen.text.lower()


async def test_typical_items_fit_80x24_and_a_long_one_says_more_below(tmp_path: Path) -> None:
    """Every question of a form at 80x24: the stem and all four options without scrolling for 90%+."""
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await check_in(app, pilot)
        screen = app.screen
        body = screen.query_one("#body", QuestionBody)
        fits = 0
        for position in range(0, app.live.count, 2):
            screen.go_to(position)
            await settled(pilot, screen)
            lines = screen_text(app).splitlines()
            assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
            footer = lines[-1]
            if body.max_scroll_y == 0:
                fits += 1
                assert "D." in "".join(lines) and MORE_BELOW not in footer
            else:
                assert "more below" in footer, f"question {position + 1} hides text without saying so"
        assert fits / (app.live.count / 2) >= 0.9, f"only {fits} of {app.live.count // 2} questions fit at 80x24"
        # And every item of the sample banks, through the same widgets, with the longest header.
        items = fitting = 0
        for bank in sample_package().banks.values():
            for item in bank.items:
                items += 1
                stem = Text(f"Question 80: {bank.title}  [FLAGGED]\n{item.stem}")
                options = tuple(
                    option_text(letter, item.options[letter], False, index == 1, index == 0)
                    for index, letter in enumerate(item.letters)
                )
                body.show(stem, options, 0, top=True)
                fitting += body.max_scroll_y == 0
        assert fitting / items >= 0.9, f"only {fitting} of {items} sample items fit at 80x24"
        # A long item (here: the stem made long) scrolls, and the marker says so until the end is read.
        screen.go_to(0)
        await pilot.pause()
        body.show(Text("Question 1: a long one\n\n" + "A very long stem. " * 120), body.options, 0, top=True)
        screen.show_more()
        await pilot.pause()
        await settled(pilot, screen)
        assert body.max_scroll_y > 0 and screen_text(app).splitlines()[-1].strip().startswith("-- more below")
        for _ in range(8):
            await pilot.press("j")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        assert "end of question" in screen_text(app).splitlines()[-1]
        await pilot.press("k")
        await pilot.pause()
        assert "more below" in screen_text(app).splitlines()[-1]


async def test_review_counts_down_and_every_state_reads_without_colour(tmp_path: Path) -> None:
    clock = FakeClock()
    app, _conn = build(tmp_path / "r.db", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await check_in(app, pilot)
        await pilot.press("a", "n", "f", "n")
        lines = screen_text(app).splitlines()
        assert "1-20  +  ? [-] -" in lines[1], "answered, flagged, and the current question in brackets"
        await pilot.press("r")
        review = screen_text(app)
        assert "Time left 3:00:00" in review.splitlines()[0]
        assert "[ ] UNANSWERED" in review and "[?] FLAGGED" in review and "(current)" in review
        assert "61-80" in review, "the review shows the navigator's four rows, under its border"
        app.screen.query_one("#table").move_cursor(row=79, animate=False)
        await pilot.pause()
        assert "[x] answered" in screen_text(app), "answered rows, last in the list, read [x]"
        clock.advance(65)
        app.tick()
        await pilot.pause()
        assert "Time left 2:58:55" in screen_text(app).splitlines()[0], "the countdown runs on the review screen"
        await pilot.press("escape")
        assert "[-]" in screen_text(app).splitlines()[1]


async def test_agreement_boxes_show_their_state_in_characters(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await check_in(app, pilot, start=False)
        assert "[ ] I have read the instructions" in screen_text(app)
        app.screen.query_one("#accept").value = True
        await pilot.pause()
        assert "[x] I have read the instructions" in screen_text(app)


async def test_console_glyphs_keep_to_the_linux_console_font(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db", console=True)
    async with app.run_test(size=SIZE) as pilot:
        await check_in(app, pilot, start=False)
        seen = {"instructions": screen_text(app)}
        app.screen.query_one("#identity").value = True
        app.screen.query_one("#accept").value = True
        await pilot.pause()
        app.screen.query_one("#start", Button).press()
        await pilot.pause()
        await pilot.press("b", "f")
        seen["question"] = screen_text(app)
        await pilot.press("f1")
        seen["help"] = screen_text(app)
        await pilot.press("escape", "ctrl+k")
        seen["calculator"] = screen_text(app)
        await pilot.press("escape", "r")
        seen["review"] = screen_text(app)
        await pilot.press("escape", "s")
        seen["submit"] = screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        seen["receipt"] = screen_text(app)
        await pilot.press("f1")
        assert "receipt code" in app.screen.text and "ANSWERING" not in app.screen.text
        seen["receipt help"] = screen_text(app)
        for name, text in seen.items():
            odd = set(text) - CONSOLE_SAFE - {"\n"}
            assert not odd, f"{name} uses {sorted(odd)}, which the Linux console font lacks"


async def test_a_reading_column_of_at_most_100_characters_at_200_columns(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=(200, 50)) as pilot:
        await check_in(app, pilot)
        for screen in ("question", "review"):
            lines = [line for line in screen_text(app).splitlines() if line.strip()]
            spans = [len(line.strip()) for line in lines]
            assert max(spans) <= 100, f"{screen}: a line of {max(spans)} characters"
            assert any(line.startswith(" " * 40) for line in lines), f"{screen}: the column is centred"
            await pilot.press("r")


async def test_review_list_picks_with_keys_and_the_mouse(tmp_path: Path) -> None:
    """Down, Down, Enter goes to the third question listed; End reaches the last row; a click picks its row."""
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await check_in(app, pilot)
        await pilot.press("a", "n")  # question 1 answered: listed last
        await pilot.press("r")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen) and app.live.position == 3, "2, 3, 4 listed first: the third"
        await pilot.press("r", "end")
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert any(line.startswith("     1 ") and "[x] answered" in line for line in lines), "the last row in view"
        await pilot.press("enter")
        await pilot.pause()
        assert app.live.position == 0
        await pilot.press("r")
        await pilot.pause()
        table = app.screen.query_one("#table")
        await pilot.click("#table", offset=(10, 1 + 4))  # the header, then the fifth row: question 6
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen) and app.live.position == 5, table.rows[:6]


def textual_rows(widget, crop) -> list[list[tuple[str, object]]]:
    """A widget's lines through Textual's own styles step, as the compositor would get them."""
    from textual.widget import Widget

    widget._styles_cache.clear()
    return [[(s.text, s.style) for s in strip] for strip in Widget.render_lines(widget, crop)]


async def test_finished_lines_are_what_textuals_own_step_draws(tmp_path: Path) -> None:
    """The line widgets hand the compositor lines they finished themselves (padding,
    background, colours): segment for segment what Textual's styles step makes, in each
    state and theme, whole or cut out as a partial update asks."""
    from textual.geometry import Region

    from ccsoo_exam.ui.exam.widgets import Navigator, StatusBar

    for modes in ((), ("high-contrast",), ("large-print", "high-contrast")):
        app, _conn = build(tmp_path / f"r{len(modes)}.db")
        async with app.run_test(size=SIZE) as pilot:
            await check_in(app, pilot, modes=modes)
            body = app.screen.query_one("#body", QuestionBody)
            long_one = max(range(app.live.count), key=lambda p: len(app.live.item(p).stem))
            for keys in (("a",), ("down", "x"), ("n", "f"), ("end",)):
                await pilot.press(*keys)
                await pilot.pause()
                if keys == ("end",):
                    app.screen.go_to(long_one)
                    await pilot.pause()
                    body.scroll_to_line(2)
                widgets = [body, app.screen.query_one(StatusBar), app.screen.query_one(Navigator)]
                for widget in (w for w in widgets if w.display):
                    width, height = widget.outer_size
                    for crop in (Region(0, 0, width, height), Region(3, 0, 20, min(4, height))):
                        fast = [[(s.text, s.style) for s in strip] for strip in widget.render_lines(crop)]
                        assert fast == textual_rows(widget, crop), f"{type(widget).__name__} {modes} after {keys}"
