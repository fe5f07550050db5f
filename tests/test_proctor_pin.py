"""The proctor PIN: set twice, wrong entries keep the prompt and swallow keys, lock-out, resume codes."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from pathlib import Path

from textual.widgets import Input, Static

from ccsoo_exam.cli import main
from ccsoo_exam.pin import FREE_ATTEMPTS, PinGuard, check_pin, pin_problem, resume_code
from ccsoo_exam.ui.exam.modals import NewPinModal, PinModal, ProctorMenu
from ccsoo_exam.ui.exam.question import QuestionScreen
from ccsoo_exam.ui.exam.resume import ResumeScreen
from ccsoo_exam.ui.exam.unlock import Unlocked, UnlockScreen
from tests.conftest import ROOT
from tests.exam_fixtures import PIN, FakeClock, sample_package
from tests.test_exam_ui import SIZE, build, start_sitting

NEW_PIN = "975318"


def incidents(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT payload FROM events WHERE kind = 'incident' ORDER BY seq")]


def answers(conn: sqlite3.Connection) -> list[object]:
    return [r[0] for r in conn.execute("SELECT answer FROM responses ORDER BY position")]


async def enter(pilot, selector: str, value: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.value = value
    field.focus()
    await pilot.press("enter")
    await pilot.pause()


def test_pin_rules() -> None:
    assert pin_problem("2468") is not None, "4 digits are too few"
    assert pin_problem("111111") is not None and pin_problem("123456") is not None
    assert pin_problem("246810", "246811") == "the two PINs differ; type the same PIN twice"
    assert pin_problem("246810", "246810") is None


def test_guard_locks_after_five_and_the_delay_grows() -> None:
    clock = FakeClock()
    guard = PinGuard(clock)
    for _ in range(FREE_ATTEMPTS - 1):
        assert guard.record(False).locked_for == 0
    assert guard.record(False).locked_for == 30
    clock.advance(30)
    assert guard.remaining_lock() == 0
    assert guard.record(False).locked_for == 60, "each further wrong entry doubles the lock"
    clock.advance(60)
    assert guard.record(True).accepted and guard.wrong == 0


async def test_unlock_asks_for_the_new_pin_twice(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, UnlockScreen) and screen.new_pin
        screen.query_one("#key", Input).value = "x" * 12
        screen.query_one("#pin", Input).value = PIN
        await enter(pilot, "#again", "246811")
        assert "the two PINs differ" in str(screen.query_one("#message", Static).content)
        assert app.screen is screen and not app.workers, "nothing unlocks on a mismatch"


async def test_a_wrong_pin_keeps_the_prompt_and_the_next_digits_are_not_answers(tmp_path: Path) -> None:
    app, conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await start_sitting(app, pilot)
        await pilot.press("ctrl+o")
        await enter(pilot, "#pin", "999999")
        assert isinstance(app.screen, PinModal), "the prompt stays open after a wrong PIN"
        assert "Wrong PIN (1 wrong in a row)" in str(app.screen.query_one(".message", Static).content)
        await pilot.press("1", "2", "3", "4", "a", "b", "f", "n")  # the proctor's next keys
        await pilot.press("escape")
        assert isinstance(app.screen, QuestionScreen)
        assert answers(conn)[:2] == [None, None], "no key reached the question"
        assert conn.execute("SELECT flagged FROM responses WHERE position = 0").fetchone()[0] == 0
        assert len(incidents(conn)) == 1


async def test_five_wrong_pins_lock_the_menu_and_each_is_an_incident(tmp_path: Path) -> None:
    clock = FakeClock()
    app, conn = build(tmp_path / "r.db", clock)
    async with app.run_test(size=SIZE) as pilot:
        await start_sitting(app, pilot)
        await pilot.press("ctrl+o")
        for n in range(FREE_ATTEMPTS):
            await enter(pilot, "#pin", f"90000{n}")
        modal = app.screen
        assert isinstance(modal, PinModal)
        assert all(field.disabled for field in modal.query(Input))
        assert "locked for 30 s more" in str(modal.query_one(".message", Static).content)
        modal.query_one("#pin", Input).value = PIN
        modal._pin_entered(Input.Submitted(modal.query_one("#pin", Input), PIN))  # even the right PIN
        await pilot.pause()
        assert isinstance(app.screen, PinModal), "no entry is taken while locked"
        notes = incidents(conn)
        assert len(notes) == FREE_ATTEMPTS
        assert "5 in a row; proctor menu locked for 30 s" in notes[-1]
        clock.advance(31)
        modal.refresh_lock()
        await pilot.pause()
        assert not modal.query_one("#pin", Input).disabled
        await enter(pilot, "#pin", PIN)
        assert isinstance(app.screen, ProctorMenu)
        assert app.pin_guard.wrong == 0


async def test_a_resume_code_opens_the_menu_once_and_sets_a_new_pin(tmp_path: Path) -> None:
    app, conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await start_sitting(app, pilot)
        await pilot.press("ctrl+o")
        modal = app.screen
        assert isinstance(modal, PinModal)
        challenge = modal.challenge
        assert challenge in str(modal.query(".dialog Label").last().content)
        # The administrator, with the exam key, answers the challenge read over the phone.
        exam, key = str(ROOT / "question_banks" / "exam.yaml"), str(ROOT / "question_banks" / "demo.key")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):  # Textual holds sys.stdout while the app runs
            assert main(["admin", "resume-code", challenge.lower(), "--exam", exam, "--key-file", key]) == 0
        code = printed.getvalue().strip().rsplit(" ", 1)[1]
        assert code == resume_code(sample_package().proctor_secret, challenge)
        await enter(pilot, "#code", "WRONG-CODE")
        assert isinstance(app.screen, PinModal)
        await enter(pilot, "#code", code)
        assert isinstance(app.screen, NewPinModal)
        app.screen.query_one("#pin", Input).value = NEW_PIN
        await enter(pilot, "#again", NEW_PIN)
        assert isinstance(app.screen, ProctorMenu)
        stored = conn.execute("SELECT proctor_pin FROM sittings").fetchone()[0]
        secret = sample_package().proctor_secret
        assert check_pin(NEW_PIN, stored, secret) and not check_pin(PIN, stored, secret)
        notes = incidents(conn)
        assert any("wrong resume code" in n for n in notes)
        assert any(f"resume code for challenge {challenge} accepted" in n for n in notes)
        assert "proctor PIN replaced after a resume code" in notes[-1]
        await pilot.press("escape")
        # The code was for that challenge only: it opens nothing a second time.
        assert app._redeem_code(challenge, code).accepted is False


async def test_a_forgotten_pin_does_not_strand_an_interrupted_sitting(tmp_path: Path) -> None:
    app, _conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await start_sitting(app, pilot)
        await pilot.press("b")
    again, conn = build(tmp_path / "r.db")
    async with again.run_test(size=SIZE) as pilot:
        assert isinstance(again.screen, UnlockScreen) and not again.screen.new_pin, "resuming asks for one PIN"
        again._unlocked(Unlocked(sample_package(), "555555"))
        await pilot.pause()
        modal = again.screen
        assert isinstance(modal, PinModal)
        await enter(pilot, "#code", resume_code(sample_package().proctor_secret, modal.challenge))
        assert isinstance(again.screen, NewPinModal)
        again.screen.query_one("#pin", Input).value = NEW_PIN
        await enter(pilot, "#again", NEW_PIN)
        assert isinstance(again.screen, ResumeScreen)
        stored = conn.execute("SELECT proctor_pin FROM sittings").fetchone()[0]
        assert check_pin(NEW_PIN, stored, sample_package().proctor_secret)


def test_resume_code_refuses_a_malformed_challenge(capsys) -> None:
    assert main(["admin", "resume-code", "ABC"]) == 2
    assert "a challenge is 8 letters and digits" in capsys.readouterr().err
