"""The judges' rating screens: unlock first, sign in, one commit per rating, resume, round-2 feedback."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

from textual.widgets import Input, Static

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.store import standard as store
from ccsoo_exam.ui.standard.app import make_app
from ccsoo_exam.ui.standard.messages import RatingSaved
from ccsoo_exam.ui.standard.screens import JudgeScreen, RatingScreen, UnlockScreen
from tests.admin_data import enrolled_admin, small_package

KEY = "correct horse battery staple"


def build(db: Path, round_: int = 1):
    definition, banks = small_package()

    def open_package(_definition, key: str) -> object:
        if key != KEY:
            raise CcsooError(Problem("exam key", None, "the exam key does not open this package; check it"))
        return SimpleNamespace(banks=banks)

    return make_app(definition, str(db), round_, wall=lambda: "2026-12-01T10:00:00Z", open_package=open_package)


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def sign_in(pilot, app, judge: str = "Dana") -> None:
    app.screen.query_one("#key", Input).value = KEY
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, JudgeScreen)
    app.screen.query_one("#judge", Input).value = judge
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, RatingScreen)


async def rate(pilot, app, value: str) -> None:
    app.screen.query_one("#rating", Input).value = value
    await pilot.press("enter")
    await pilot.pause()


async def test_no_item_content_before_the_key_and_a_wrong_key_is_refused(tmp_path: Path) -> None:
    app = build(tmp_path / "r.db")
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, UnlockScreen)
        assert not app.screen.query("#stem")
        app.screen.query_one("#key", Input).value = "wrong key here"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        assert "does not open this package" in text(app, "#status")


async def test_each_rating_is_committed_and_a_new_session_resumes(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    app = build(db)
    saved: list[RatingSaved] = []
    async with app.run_test(
        size=(80, 24), message_hook=lambda m: saved.append(m) if isinstance(m, RatingSaved) else None
    ) as pilot:
        await sign_in(pilot, app)
        assert "T1-001" in text(app, "#title")
        await rate(pilot, app, "70")
        # Committed before the next item shows: another connection sees it.
        other = sqlite3.connect(db)
        assert other.execute("SELECT item, rating, round FROM angoff_ratings").fetchall() == [
            ("ccsoo-m1/T1-001", 0.7, 1)
        ]
        await rate(pilot, app, "150")
        assert "from 0 to 100" in text(app, "#status")
        await rate(pilot, app, "55")
        assert other.execute("SELECT COUNT(*) FROM angoff_ratings").fetchone()[0] == 2
        assert list(dict.fromkeys(m.item for m in saved)) == ["ccsoo-m1/T1-001", "ccsoo-m1/T1-002"]  # bubbles twice
    again = build(db)
    async with again.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, again)
        assert "item 3 of 8" in text(again, "#title") and "T1-003" in text(again, "#title")
        await pilot.press("pageup")
        await pilot.pause()
        assert again.screen.query_one("#rating", Input).value == "55"


async def test_round_two_shows_the_round_one_mean_and_the_p_value(tmp_path: Path) -> None:
    from ccsoo_exam.cli import main
    from tests.admin_data import all_correct, correct_on, terminal_db

    definition, banks = small_package()
    terminal_db(str(tmp_path / "t.db"), definition, banks, {"C-1": all_correct, "C-2": correct_on(0)})
    db = tmp_path / "admin.db"
    enrolled_admin(str(db))
    assert main(["admin", "merge", str(tmp_path / "t.db"), "--into", str(db)]) == 0
    conn = store.open_ratings(str(db))
    from ccsoo_exam.psychometrics.angoff import Rating

    store.save_ratings(
        conn, definition.exam, [Rating("A", "ccsoo-m1/T1-001", 0.6), Rating("B", "ccsoo-m1/T1-001", 0.8)], "csv", "t"
    )
    conn.close()
    app = build(db, round_=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, app, "A")
        feedback = text(app, "#feedback")
        assert "Round-1 mean 70 (2 judges)" in feedback
        assert "p-value 0.50" in feedback  # one of the two sittings got it right
        await rate(pilot, app, "65")
    rows = sqlite3.connect(db).execute("SELECT judge, round, rating FROM angoff_ratings WHERE round = 2").fetchall()
    assert rows == [("A", 2, 0.65)]


async def test_a_judges_own_database_is_imported_into_the_admin_database(tmp_path: Path) -> None:
    from ccsoo_exam.cli import main
    from tests.test_admin_cli import EXAM_YAML

    app = build(tmp_path / "judge.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, app, "Eve")
        await rate(pilot, app, "40")
    (tmp_path / "exam.yaml").write_text(EXAM_YAML)
    admin_db = tmp_path / "admin.db"
    argv = [
        "standard",
        "import",
        "--db",
        str(admin_db),
        "--exam",
        str(tmp_path / "exam.yaml"),
        str(tmp_path / "judge.db"),
    ]
    assert main(argv) == 0
    rows = sqlite3.connect(admin_db).execute("SELECT judge, item, rating, source FROM angoff_ratings").fetchall()
    assert rows == [("Eve", "ccsoo-m1/T1-001", 0.4, "db:judge.db")]


async def test_a_judge_enters_hofstee_bounds_from_the_rating_screen(tmp_path: Path) -> None:
    from ccsoo_exam.ui.standard.screens import HofsteeScreen

    db = tmp_path / "r.db"
    app = build(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, HofsteeScreen)
        for field, value in (("min_cut", "80"), ("max_cut", "60"), ("min_fail", "10"), ("max_fail", "40")):
            app.screen.query_one(f"#{field}", Input).value = value
        app.screen.query_one("#max_fail", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "lowest <= highest" in text(app, "#status")  # 80 > 60 refused
        app.screen.query_one("#min_cut", Input).value = "55"
        app.screen.query_one("#max_fail", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RatingScreen)
    rows = sqlite3.connect(db).execute("SELECT judge, min_cut, max_cut, min_fail, max_fail FROM hofstee_judgements")
    assert rows.fetchall() == [("Dana", 55.0, 60.0, 10.0, 40.0)]
