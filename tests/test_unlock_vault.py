"""Unlock as the proctor sees it: a damaged file is named and the typed key stays; a wrong key is cleared.

The package starts opening as soon as the key is known; Unlock uses that opening only for the same key.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from ccsoo_exam import package
from ccsoo_exam.exam import ExamDefinition, load_exam
from ccsoo_exam.package import ExamPackage
from ccsoo_exam.release import MANIFEST_NAME
from ccsoo_exam.ui.exam.app import ExamApp, make_app
from ccsoo_exam.ui.exam.checkin import CheckInScreen
from ccsoo_exam.ui.exam.unlock import UnlockScreen
from tests.conftest import DEMO_KEY, ROOT
from tests.exam_fixtures import PIN, FakeClock, FakeWallClock, open_db

BANKS = ROOT / "question_banks"


async def test_a_damaged_bank_is_named_and_the_key_field_keeps_its_text(tmp_path: Path) -> None:
    for name in ("exam.yaml", MANIFEST_NAME, *(f"module{m}.bank" for m in range(1, 6))):
        (tmp_path / name).write_bytes((BANKS / name).read_bytes())
    blob = bytearray((tmp_path / "module3.bank").read_bytes())
    blob[-30] ^= 0x01
    (tmp_path / "module3.bank").write_bytes(bytes(blob))
    definition = load_exam(str(tmp_path / "exam.yaml"))
    app = make_app(definition, open_db(tmp_path / "r.db"), clock=FakeClock(), wall_clock=FakeWallClock(), timers=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#key", Input).value = DEMO_KEY
        app.screen.query_one("#pin", Input).value = PIN
        app.screen.query_one("#again", Input).value = PIN
        app.screen.query_one("#again", Input).focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        message = str(app.screen.query_one("#message", Static).content)
        assert message.startswith("module3.bank: is damaged") and "copy it again" in message
        assert "key is wrong" not in message
        assert app.screen.query_one("#key", Input).value == DEMO_KEY


def sample_app(tmp_path: Path, **options: object) -> ExamApp:
    definition = load_exam(str(BANKS / "exam.yaml"))
    conn = open_db(tmp_path / "r.db")
    return make_app(definition, conn, clock=FakeClock(), wall_clock=FakeWallClock(), timers=False, **options)


def counted_opens(monkeypatch, gate: threading.Event | None = None) -> list[str]:
    """Every key the package is opened with; an opening under the demo key waits for ``gate``."""
    keys: list[str] = []
    real = package.open_banks

    def open_banks(definition: ExamDefinition, key: str) -> ExamPackage:
        keys.append(key)
        if gate is not None and key == DEMO_KEY:
            assert gate.wait(10), "the test never let the opening finish"
        return real(definition, key)

    monkeypatch.setattr("ccsoo_exam.package.open_banks", open_banks)
    return keys


async def unlock(app: ExamApp, pilot) -> None:
    """The two PINs, then Enter in the second: Unlock."""
    app.screen.query_one("#pin", Input).value = PIN
    app.screen.query_one("#again", Input).value = PIN
    app.screen.query_one("#again", Input).focus()
    await pilot.press("enter")


@pytest.mark.parametrize("early", ["opened", "still opening"])
async def test_a_key_edited_after_the_early_opening_is_the_key_unlock_uses(tmp_path: Path, monkeypatch, early) -> None:
    gate = threading.Event()
    keys = counted_opens(monkeypatch, gate)
    app = sample_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        key = app.screen.query_one("#key", Input)
        key.value = DEMO_KEY
        await pilot.press("enter")  # leaving the key field starts opening the package under the right key
        assert app.focused is app.screen.query_one("#pin", Input) and keys == [DEMO_KEY]
        if early == "opened":
            gate.set()
            await app.workers.wait_for_complete()
        key.value = "definitely the wrong key"  # the proctor corrects the key before Unlock
        await unlock(app, pilot)
        gate.set()  # an opening under the right key, stopped in its KDF, finishes now: too late to count
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert keys == [DEMO_KEY, "definitely the wrong key"]
        assert isinstance(app.screen, UnlockScreen) and app.package is None, "the earlier opening never unlocks"
        assert str(app.screen.query_one("#message", Static).content) == (
            "The exam key is wrong. Check it and type it again."
        )
        assert key.value == "" and app.focused is key
        # Typed again, the right key opens afresh and unlocks.
        key.value = DEMO_KEY
        await unlock(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert keys == [DEMO_KEY, "definitely the wrong key", DEMO_KEY]
        assert isinstance(app.screen, CheckInScreen) and app.package is not None


async def test_the_demo_package_opens_while_the_pin_is_typed_and_unlock_uses_that_opening(
    tmp_path: Path, monkeypatch
) -> None:
    keys = counted_opens(monkeypatch)
    app = sample_app(tmp_path, demo_key=DEMO_KEY, demo_pin=PIN)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert keys == [DEMO_KEY], "opened before the proctor typed anything"
        assert isinstance(app.screen, UnlockScreen) and app.package is None, "but unlocked only on Unlock"
        await pilot.press(*PIN, "enter", *PIN, "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, CheckInScreen)
        assert keys == [DEMO_KEY] and app.package is not None and app.package.kdf_runs == 1


async def test_a_wrong_key_opened_early_is_refused_only_on_unlock_with_the_same_message(tmp_path: Path) -> None:
    app = sample_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        key = app.screen.query_one("#key", Input)
        key.value = "definitely the wrong key"
        app.screen.query_one("#pin", Input).focus()  # leaving the field starts the opening
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        message = app.screen.query_one("#message", Static)
        assert str(message.content) == "" and key.value == "definitely the wrong key", "nothing said before Unlock"
        await unlock(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and app.package is None
        assert str(message.content) == "The exam key is wrong. Check it and type it again."
        assert key.value == ""
