"""No traceback on a candidate terminal: a safe screen for any error, and definitions checked before check-in."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from ccsoo_exam.cli import main
from ccsoo_exam.errors import Problem
from ccsoo_exam.exam import load_exam
from ccsoo_exam.package import ExamPackage, form_problems, share_problems
from ccsoo_exam.release import MANIFEST_NAME
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.ui.exam.app import CrashApp, ExamApp, make_app
from ccsoo_exam.ui.exam.checkin import CheckInScreen
from ccsoo_exam.ui.exam.instructions import InstructionsScreen
from ccsoo_exam.ui.exam.modals import CrashScreen, NoticeScreen
from ccsoo_exam.ui.exam.unlock import Unlocked, UnlockScreen
from tests.conftest import DEMO_KEY, ROOT
from tests.exam_fixtures import PIN, FakeClock, FakeWallClock, forms_checked, open_db, sample_package
from tests.test_exam_ui import SIZE, build, start_sitting
from tests.test_text_safety import terminal_output

BANKS = ROOT / "question_banks"


def overdrawn(tmp_path: Path) -> Path:
    """The sample package with module 1's share raised beyond what its bank holds."""
    for name in (MANIFEST_NAME, *(f"module{m}.bank" for m in range(1, 6))):
        (tmp_path / name).write_bytes((BANKS / name).read_bytes())
    held = len(sample_package().banks["ccsoo-m1"].items)
    text = (BANKS / "exam.yaml").read_text()
    text = text.replace("file: module1.bank\n    items: 16", f"file: module1.bank\n    items: {held + 5}", 1)
    text = text.replace("item_count: 80", f"item_count: {80 - 16 + held + 5}", 1)
    (tmp_path / "exam.yaml").write_text(text)
    return tmp_path / "exam.yaml"


def test_exam_validate_finds_the_overdrawn_blueprint(tmp_path: Path, capsys) -> None:
    exam = overdrawn(tmp_path)
    key = str(BANKS / "demo.key")
    assert main(["exam", "validate", "--exam", str(exam), "--key-file", key]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    line = next(n for n, text in enumerate(exam.read_text().splitlines(), 1) if "bank: ccsoo-m1" in text)
    assert err == [
        f"{exam}:{line}: the blueprint draws {len(sample_package().banks['ccsoo-m1'].items) + 5} items from bank "
        f"'ccsoo-m1', which holds {len(sample_package().banks['ccsoo-m1'].items)}; lower 'items' (and item_count) "
        "or release a larger bank"
    ]
    assert main(["exam", "validate", "--exam", str(BANKS / "exam.yaml"), "--key-file", key]) == 0
    assert "ok, release" in capsys.readouterr().out


async def test_sit_refuses_the_overdrawn_blueprint_at_unlock_before_any_check_in(tmp_path: Path) -> None:
    definition = load_exam(str(overdrawn(tmp_path)))
    conn = open_db(tmp_path / "r.db")
    app = make_app(definition, conn, clock=FakeClock(), wall_clock=FakeWallClock(), timers=False)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#key", Input).value = DEMO_KEY
        app.screen.query_one("#pin", Input).value = PIN
        app.screen.query_one("#again", Input).value = PIN
        app.screen.query_one("#again", Input).focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        assert "the blueprint draws" in str(app.screen.query_one("#message", Static).content)
        assert app.package is None
    assert conn.execute("SELECT count(*) FROM sittings").fetchone()[0] == 0


def unreachable_target(tmp_path: Path) -> Path:
    """The sample package with a difficulty target no form meets: every share fits, no form assembles."""
    for name in (MANIFEST_NAME, *(f"module{m}.bank" for m in range(1, 6))):
        (tmp_path / name).write_bytes((BANKS / name).read_bytes())
    text = (BANKS / "exam.yaml").read_text()
    assert "target: bank" in text
    (tmp_path / "exam.yaml").write_text(text.replace("target: bank", "target: 0.9", 1))
    return tmp_path / "exam.yaml"


def sittings(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM sittings").fetchone()[0]


async def comes_up(app: ExamApp, what: str, showing: Callable[[Screen], bool], seconds: float = 10.0) -> None:
    """Let the app run until the screen on top is the one wanted.

    Check-in's callback waits for the form check; a pilot pause would wait with it (or, on another
    message pump, not at all), so the test watches for the screen the app is meant to show.
    """
    deadline = asyncio.get_running_loop().time() + seconds
    while not showing(app.screen):
        assert asyncio.get_running_loop().time() < deadline, f"{what} never came; {app.screen} is on top"
        await asyncio.sleep(0.01)


def notice(heading: str) -> Callable[[Screen], bool]:
    return lambda screen: isinstance(screen, NoticeScreen) and screen.heading == heading


async def test_forms_that_cannot_be_assembled_are_blocked_during_check_in_and_get_no_sitting(
    tmp_path: Path, capsys
) -> None:
    exam = unreachable_target(tmp_path)
    key = str(BANKS / "demo.key")
    assert main(["exam", "validate", "--exam", str(exam), "--key-file", key]) == 2, "validate still assembles forms"
    assert "no form of 16 items meets the difficulty target" in capsys.readouterr().err
    definition = load_exam(str(exam))
    conn = open_db(tmp_path / "r.db")
    app = make_app(definition, conn, clock=FakeClock(), wall_clock=FakeWallClock(), timers=False)
    package = dataclasses.replace(sample_package(), definition=definition)
    assert share_problems(package) == [], "the blueprint's shares fit: unlock lets it through"
    assert "no form of 16 items meets the difficulty target" in form_problems(package)[0].message
    async with app.run_test(size=SIZE) as pilot:
        app._unlocked(Unlocked(package, PIN))
        await forms_checked(app)
        await pilot.pause()
        assert isinstance(app.screen, NoticeScreen), "blocked as soon as the check fails"
        assert isinstance(app.screen_stack[-2], CheckInScreen), "over check-in, before any candidate is checked in"
        shown = terminal_output(app)
        assert "cannot build a form" in shown and "difficulty target" in shown
        await pilot.press(*"C-1", "tab", *"Ada", "enter")  # the proctor types on regardless
        assert isinstance(app.screen, NoticeScreen)
    assert sittings(conn) == 0


@pytest.mark.parametrize("outcome", ["fails", "passes"])
async def test_check_in_quicker_than_the_form_check_waits_for_it(tmp_path: Path, monkeypatch, outcome: str) -> None:
    # A check that a form of some seed cannot be drawn, still running when check-in completes.
    running = threading.Event()
    release = threading.Event()

    def form_problems(package: ExamPackage, seeds: int = 5) -> list[Problem]:
        running.set()
        assert release.wait(10), "the test never let the check finish"
        if outcome == "passes":
            return []
        return [Problem(package.definition.path, None, "no unique form in 20 draws for seed 3; report this")]

    monkeypatch.setattr("ccsoo_exam.package.form_problems", form_problems)
    app, conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        app._unlocked(Unlocked(sample_package(), PIN))
        await pilot.pause()
        app.screen.query_one("#candidate", Input).value = "C-001"
        app.screen.query_one("#name", Input).value = "Test Candidate"
        app.screen.query_one("#continue", Button).press()
        await comes_up(app, "the wait", notice("Preparing the exam"))
        assert running.wait(10), "the check runs while the wait is shown"
        assert sittings(conn) == 0, "no sitting while its forms are unchecked"
        release.set()
        await forms_checked(app)
        if outcome == "passes":
            await comes_up(app, "the instructions", lambda screen: isinstance(screen, InstructionsScreen))
            assert sittings(conn) == 1
        else:
            await comes_up(app, "the block", notice("The exam package cannot build a form"))
            await pilot.pause()
            assert app.live is None and "no unique form" in terminal_output(app)
            assert sittings(conn) == 0


async def test_an_unexpected_error_ends_on_a_safe_screen_with_a_content_free_log(tmp_path: Path, monkeypatch) -> None:
    package = sample_package()
    stem = next(iter(package.banks.values())).items[0].stem

    def broken(self, position: int, shown: str | None, during=None):
        raise RuntimeError(f"while showing {stem}")

    log = tmp_path / "exam-errors.log"
    app = make_app(
        package.definition,
        open_db(tmp_path / "r.db"),
        clock=FakeClock(),
        wall_clock=FakeWallClock(),
        timers=False,
        error_log=log,
    )
    async with app.run_test(size=SIZE) as pilot:
        await start_sitting(app, pilot)
        monkeypatch.setattr(LiveSitting, "answer", broken)
        # Not pilot.press: it waits for the screen whose message loop the error has just stopped.
        app.post_message(events.Key("a", "a"))
        for _ in range(200):  # bounded: the app closes within a few message cycles
            if app.return_code is not None:
                break
            await asyncio.sleep(0.01)
    assert app.return_code == 3 and app.crashes == 1
    assert app._exit_renderables == [], "Textual's traceback (with local variables) is never printed"
    text = log.read_text()
    assert "builtins.RuntimeError (message withheld)" in text and "in broken" in text
    assert stem[:30] not in text
    assert os.stat(log).st_mode & 0o777 == 0o600


async def test_the_crash_screen_says_what_to_do_and_nothing_of_the_exam(tmp_path: Path) -> None:
    app = CrashApp(str(tmp_path / "exam-errors.log"))
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, CrashScreen)
        shown = terminal_output(app)
        assert "Call the proctor" in shown and "saved answers are kept" in shown
        await pilot.press("ctrl+c", "ctrl+q", "escape")
        assert app.is_running, "the candidate's keys do not close it"
        await pilot.press("ctrl+o")
    assert not app.is_running
