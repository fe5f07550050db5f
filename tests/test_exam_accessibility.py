"""Accessibility accommodations chosen at check-in: recorded, restored, and each one on screen."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from textual.widgets import Input, Static

from ccsoo_exam.ui.exam.accessibility import LargePrintQuestionScreen, ReaderQuestionScreen
from ccsoo_exam.ui.exam.body import QuestionBody
from ccsoo_exam.ui.exam.modals import NoticeScreen
from ccsoo_exam.ui.exam.question import QuestionScreen
from ccsoo_exam.ui.exam.resume import ResumeScreen
from ccsoo_exam.ui.exam.speech import Speaker
from ccsoo_exam.ui.exam.unlock import Unlocked
from tests.exam_fixtures import PIN, sample_package
from tests.test_exam_candidate_tools import build, check_in, events, screen_text, settled

BOX_AND_BLOCKS = {chr(c) for c in range(0x2500, 0x25A0)}


async def test_accommodations_are_recorded_with_the_sitting_and_restored_on_resume(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    app, conn = build(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await check_in(app, pilot, modes=("large-print", "high-contrast"))
        await pilot.press("b")
        row = conn.execute("SELECT accessibility FROM sittings").fetchone()
        assert row[0] == "high-contrast,large-print"
        assert events(conn, "check-in")[0]["accessibility"] == "high-contrast,large-print", "in the event chain"
    conn.close()
    again, conn = build(db)  # the program died; the proctor starts it again
    async with again.run_test(size=(40, 12)) as pilot:
        again._unlocked(Unlocked(sample_package(), PIN))
        await pilot.pause()
        assert isinstance(again.screen, ResumeScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(again.screen, LargePrintQuestionScreen)
        assert again.theme == "ccsoo-high-contrast" and again.has_class("-large-print")
        assert not isinstance(again.screen, NoticeScreen), "40x12 is accepted with large print"


async def test_without_accommodations_the_screens_are_as_before(tmp_path: Path) -> None:
    app, conn = build(tmp_path / "r.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await check_in(app, pilot)
        assert type(app.screen) is QuestionScreen and app.theme != "ccsoo-high-contrast"
        assert conn.execute("SELECT accessibility FROM sittings").fetchone()[0] == ""
        assert "accessibility" not in events(conn, "check-in")[0]
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert isinstance(app.screen, NoticeScreen), "40x12 without large print is too small"


async def test_high_contrast_is_white_on_black_with_no_dimmed_text(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await check_in(app, pilot, modes=("high-contrast",))
        screen = app.screen
        assert screen.styles.background.hex.upper() == "#000000"
        stem = screen.query_one("#body")
        assert stem.styles.color.hex.upper().startswith("#FFFFFF") or stem.rich_style.color.triplet.hex == "#ffffff"
        keys = screen.query_one("#keys")
        assert keys.rich_style.color.triplet.hex == "#ffffff", "the keys line is not dimmed"
        status = screen.query_one("#status")
        red, green, blue = status.rich_style.bgcolor.triplet
        assert red > 240 and green > 240 and blue < 16, "a yellow status bar"
        assert sum(status.rich_style.color.triplet) < 100, "with dark text on it"


async def test_large_print_works_at_40x12_with_paged_questions(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await check_in(app, pilot, modes=("large-print",))
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        screen = app.screen
        await settled(pilot, screen)
        assert isinstance(screen, LargePrintQuestionScreen)
        lines = screen_text(app).splitlines()
        assert len(lines) == 12 and all(len(line) <= 40 for line in lines)
        assert lines[0].strip().startswith("Q1/80 Ans 0") and "3:00:00" in lines[0]
        assert screen.query_one("#navigator").display is False
        body = screen.query_one("#body", QuestionBody)
        assert body.max_scroll_y > 0
        assert lines[-1].strip().startswith("page 1 of ")
        pages = int(lines[-1].split("page 1 of ")[1].split(":")[0])
        for page in range(2, pages + 1):
            await pilot.press("j")
            await pilot.pause()
            assert screen_text(app).splitlines()[-1].strip().startswith(f"page {page} of {pages}")
        await pilot.press("b")
        await pilot.pause()
        assert "Ans 1" in screen_text(app).splitlines()[0]
        await pilot.press("r")
        review = screen_text(app).splitlines()
        assert len(review) == 12 and "3:00:00" in review[0] and "1/80" in review[0]
        assert any("[ ] OPEN" in line for line in review), "each row's state fits in 40 columns"
        await pilot.resize_terminal(30, 10)
        await pilot.pause()
        assert isinstance(app.screen, NoticeScreen) and "40x12; this one is 30x10" in screen_text(app)


async def test_screen_reader_mode_is_plain_text_and_writes_each_change_once(tmp_path: Path) -> None:
    app, conn = build(tmp_path / "r.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await check_in(app, pilot, modes=("screen-reader",))
        screen = app.screen
        assert isinstance(screen, ReaderQuestionScreen)
        text = screen_text(app)
        assert not set(text) & BOX_AND_BLOCKS, "no box drawing or block characters"
        item = app.live.item(0)
        assert text.lstrip().startswith("Question 1 of 80.")
        assert "A. " in text and "D. " in text
        await settled(pilot, screen)
        updates: list[str] = []
        for widget in screen.query(Static):
            original = widget.update

            def record(content="", *, layout=True, _w=widget, _o=original):
                updates.append(str(_w.id))
                return _o(content, layout=layout)

            widget.update = record  # type: ignore[method-assign]
        await pilot.press("b")
        assert updates == ["state"], f"answering rewrote {updates}"
        assert "your answer is B, saved" in str(screen.query_one("#state", Static).content)
        updates.clear()
        app.tick()
        app.tick()
        assert updates == [], "the clock is not redrawn every second"
        await pilot.press("t")
        assert updates == ["said"] and "Time left" in str(screen.query_one("#said", Static).content)
        updates.clear()
        await pilot.press("down")
        assert updates == ["said"], "a highlight is one line saying the option"
        said = str(screen.query_one("#said", Static).content)
        assert said.startswith("C: ") and item.options[app.live.current().item.authored("C")] in said
        updates.clear()
        app.notify("10 minutes remaining.", title="Time")
        assert updates == ["said"] and "10 minutes remaining" in str(screen.query_one("#said", Static).content)
        assert not app._notifications, "no pop-up that covers and then redraws the text"
        await pilot.press("n")
        assert "Question 2 of 80." in screen_text(app)
        assert conn.execute("SELECT position FROM sittings").fetchone()[0] == 1


async def test_read_aloud_speaks_question_and_options_without_blocking(tmp_path: Path) -> None:
    spoken = tmp_path / "spoken.txt"
    # Stands in for espeak-ng: reads the text on stdin, takes its time, writes it down.
    engine = [
        sys.executable,
        "-c",
        f"import sys, time; t = sys.stdin.read(); time.sleep(0.3); open({str(spoken)!r}, 'w').write(t)",
    ]
    app, conn = build(tmp_path / "r.db", speech=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await check_in(app, pilot, modes=("read-aloud",))
        started = time.monotonic()
        await pilot.press("l")
        assert time.monotonic() - started < 0.25, "the key returns before the speech ends"
        await pilot.press("b")
        assert app.live.responses[0].answer is not None, "the exam goes on while it speaks"
        for _ in range(100):
            if spoken.exists() and spoken.read_text():
                break
            time.sleep(0.05)
        said = spoken.read_text()
        item = app.live.item(0)
        state = app.live.responses[0]
        assert said.startswith("Question 1 of 80.") and item.stem in said
        for letter in "ABCD":
            assert f"Option {letter}. {item.options[state.item.authored(letter)]}" in said
        assert events(conn, "tool") == [{"action": "question 1", "tool": "read-aloud"}]


async def test_read_aloud_is_offered_only_where_a_speech_engine_is_installed(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db", speech=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await check_in(app, pilot, start=False)
        assert not app.query("#mode-read-aloud")
    app, _conn = build(tmp_path / "s.db", speech=["true"])
    async with app.run_test(size=(80, 24)) as pilot:
        app._unlocked(Unlocked(sample_package(), PIN))
        await pilot.pause()
        assert app.screen.query("#mode-read-aloud")
        assert "[ ] Read aloud" in screen_text(app)


def test_speaker_stops_what_it_is_saying(tmp_path: Path) -> None:
    speaker = Speaker([sys.executable, "-c", "import sys, time; sys.stdin.read(); time.sleep(30)"])
    thread = speaker.say("a long question")
    for _ in range(100):
        if speaker.speaking:
            break
        time.sleep(0.02)
    assert speaker.speaking
    speaker.stop()
    thread.join(timeout=5)
    assert not thread.is_alive() and not speaker.speaking
    Speaker(["/nonexistent/espeak-ng"]).say("nothing").join(timeout=5)  # a missing engine is not a crash


async def test_reduced_motion_turns_off_animation_and_the_blinking_cursor(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await check_in(app, pilot, modes=("reduced-motion",))
        assert app.animation_level == "none"
        await pilot.press("g")
        await pilot.pause()
        field = app.screen.query_one(Input)
        assert app.focused is field and field.cursor_blink is False
