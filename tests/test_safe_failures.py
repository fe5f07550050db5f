"""No traceback on a candidate terminal: a safe screen for any error, and definitions checked before check-in."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual import events
from textual.widgets import Input, Static

from ccsoo_exam.cli import main
from ccsoo_exam.exam import load_exam
from ccsoo_exam.release import MANIFEST_NAME
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.ui.exam.app import CrashApp, make_app
from ccsoo_exam.ui.exam.modals import CrashScreen
from ccsoo_exam.ui.exam.unlock import UnlockScreen
from tests.conftest import DEMO_KEY, ROOT
from tests.exam_fixtures import PIN, FakeClock, FakeWallClock, open_db, sample_package
from tests.test_exam_ui import SIZE, start_sitting
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


async def test_an_unexpected_error_ends_on_a_safe_screen_with_a_content_free_log(tmp_path: Path, monkeypatch) -> None:
    package = sample_package()
    stem = next(iter(package.banks.values())).items[0].stem

    def broken(self, position: int, shown: str | None):
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
