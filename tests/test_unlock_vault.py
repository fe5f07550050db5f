"""Unlock as the proctor sees it: a damaged file is named and the typed key stays; a wrong key is cleared."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from ccsoo_exam.exam import load_exam
from ccsoo_exam.release import MANIFEST_NAME
from ccsoo_exam.ui.exam.app import make_app
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
