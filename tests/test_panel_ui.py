"""The panel screens driven with Pilot at 80x24, asserting on the database and on the screen's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccsoo_exam.aggregation import aggregate
from ccsoo_exam.rubric import Rubric, load_rubric
from ccsoo_exam.scoresheet import verify_seal
from ccsoo_exam.store import scoresheets as store
from ccsoo_exam.ui.panel import PanelApp, make_panel_app
from ccsoo_exam.ui.panel.modals import ConfirmScreen, ConflictScreen
from ccsoo_exam.ui.panel.scoring import ScoringScreen
from ccsoo_exam.ui.panel.timer import PhaseTimer
from tests.conftest import ROOT

SAMPLE = ROOT / "rubrics" / "executive-presentation.yaml"
SIZE = (80, 24)


class FakeClock:
    """Monotonic time the test moves by hand, so a 30-minute phase takes no time at all."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Stamps:
    """Wall-clock stamps, one minute apart, so notes and logs are deterministic."""

    def __init__(self) -> None:
        self.minute = 0

    def __call__(self) -> str:
        self.minute += 1
        return f"2025-05-01T10:{self.minute:02d}:00Z"


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(SAMPLE)


def new_app(db: Path, rubric: Rubric, clock: FakeClock | None = None, **kwargs: object) -> PanelApp:
    return make_panel_app(str(db), rubric, clock=clock or FakeClock(), wall=Stamps(), **kwargs)  # type: ignore[arg-type]


def screen_text(app: PanelApp) -> str:
    # The compositor's strips are exactly what the terminal would show.
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def sheet_in(db: Path, rubric: Rubric, candidate: str = "C-001", panelist: str = "Ann"):
    conn = store.open_store(str(db))
    try:
        return store.find_sheet(conn, rubric.id, candidate, panelist)
    finally:
        conn.close()


async def sign_in(pilot, panelist: str = "Ann", candidate: str = "C-001") -> None:
    await pilot.press(*panelist, "enter", *candidate, "enter")
    await pilot.pause()


async def start_scoring(pilot, **kwargs: str) -> None:
    await sign_in(pilot, **kwargs)
    assert isinstance(pilot.app.screen, ConflictScreen)
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ScoringScreen)


async def test_whole_scoring_flow_ends_sealed(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        # Presentation: four criteria, scored 4 3 5 4 moving down.
        await pilot.press("4", "down", "3", "down", "5", "down", "4")
        text = screen_text(app)
        assert "Phase 1/2: Executive presentation" in text
        assert "5  Exemplary     Innovation in customer experience" in text
        assert "(4/7 scored)" in text
        await pilot.press("f")  # not everything is scored yet: refused, no confirmation
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen) and not sheet_in(db, rubric).sealed
        await pilot.press("tab")
        assert "Phase 2/2: Panel discussion and Q&A" in screen_text(app)
        await pilot.press("3", "down", "4", "down", "2")
        await pilot.press("n", *"vendor KPIs", "enter")
        await pilot.pause()
        sheet = sheet_in(db, rubric)
        assert dict(sheet.levels) == {
            "service-excellence-frameworks": 4,
            "process-optimization-strategies": 3,
            "customer-experience-innovation": 5,
            "executive-communication": 4,
            "cross-functional-leadership": 3,
            "stakeholder-alignment": 4,
            "technology-and-human-capital": 2,
        }
        assert [(n.criterion_id, n.text) for n in sheet.notes] == [("technology-and-human-capital", "vendor KPIs")]
        # sum(w * (level - 1) / 4) / sum(w) * 100 with weights 20 20 20 10 | 10 10 10:
        # (20*(3+2+4) + 10*3 + 10*(2+3+1)) / 4 / 100 * 100 = (180 + 30 + 60) / 4 = 67.5
        text = screen_text(app)
        assert "67.5% (7/7 scored)" in text
        assert "vendor KPIs" in text
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "67.5%" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        sheet = sheet_in(db, rubric)
        assert sheet.sealed and verify_seal(sheet)
        assert f"FINALISED {sheet.seal_hash[:8]}" in screen_text(app)


async def test_undo_reverts_the_last_change(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        await pilot.press("4", "2")
        assert sheet_in(db, rubric).levels["service-excellence-frameworks"] == 2
        await pilot.press("u")
        await pilot.pause()
        assert sheet_in(db, rubric).levels["service-excellence-frameworks"] == 4
        assert "4  Strong        Service excellence frameworks" in screen_text(app)
        await pilot.press("u")
        await pilot.pause()
        assert dict(sheet_in(db, rubric).levels) == {}
        assert "-  not scored    Service excellence frameworks" in screen_text(app)
        conn = store.open_store(str(db))
        kinds = [c.kind for c in store.changes(conn, sheet_in(db, rubric).sheet_id)]
        conn.close()
        assert kinds == ["open", "conflict", "level", "level", "undo", "undo"]


async def test_sealed_sheet_cannot_be_edited(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        for phase in range(2):
            for index, _ in enumerate(rubric.criteria_in(rubric.phases[phase].id)):
                await pilot.press("down" if index else "home", "3")
            await pilot.press("tab")
        await pilot.press("f", "y")
        await pilot.pause()
        sealed = sheet_in(db, rubric)
        assert sealed.sealed
        await pilot.press("home", "5", "n")
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        after = sheet_in(db, rubric)
        assert after == sealed
        assert "3  Competent     Service excellence frameworks" in screen_text(app)
        # Leaving and reopening the finalised sheet shows it read-only, without a conflict question.
        await pilot.press("escape")
        await pilot.pause()
        assert "finalised" in screen_text(app)
        app.screen.query_one("#candidate").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen) and "FINALISED" in screen_text(app)


async def test_reopen_after_crash_shows_the_same_state(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    first = new_app(db, rubric)
    async with first.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        await pilot.press("2", "down", "5", "n", *"baseline", "enter")
        await pilot.pause()
        before = screen_text(first)
    # A new process on the same file: no shutdown work is needed, every change was committed.
    second = new_app(db, rubric)
    async with second.run_test(size=SIZE) as pilot:
        await pilot.press(*"Ann")
        await pilot.pause()
        assert "in progress 2/7" in screen_text(second)
        await pilot.press("enter", *"C-001", "enter")
        await pilot.pause()
        assert isinstance(second.screen, ScoringScreen)  # declared already: no second conflict question
        await pilot.press("down")
        after = screen_text(second)
    for line in ("2  Developing", "5  Exemplary     Process optimization strategies", "baseline"):
        assert line in before and line in after
    assert "(2/7 scored)" in after


async def test_declared_conflict_is_recorded_and_excluded(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, panelist="Cy")
        assert "conflict of" in screen_text(app)
        await pilot.press("y", *"ex-boss", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, (ConflictScreen, ScoringScreen))
        assert "recused (conflict)" in screen_text(app)
    recusal = sheet_in(db, rubric, panelist="Cy")
    assert recusal.conflict and recusal.conflict_reason == "ex-boss" and verify_seal(recusal)
    conn = store.open_store(str(db))
    [result], _ = aggregate(rubric, store.list_sheets(conn, rubric.id))
    conn.close()
    assert result.recused == ("Cy",) and result.scores == ()


async def test_phase_timer_shows_overrun_with_an_injected_clock(tmp_path: Path, rubric: Rubric) -> None:
    clock = FakeClock()
    app = new_app(tmp_path / "panel.db", rubric, clock)
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        timer = app.screen.query_one(PhaseTimer)
        assert "00:00 / 30:00 (not started)" in screen_text(app)
        await pilot.press("s")
        clock.now += 29 * 60 + 59
        timer.tick()
        await pilot.pause()
        assert "29:59 / 30:00 (running)" in screen_text(app) and not timer.has_class("-overrun")
        clock.now += 2 * 60 + 11
        timer.tick()
        await pilot.pause()
        assert "+02:10 over (running)" in screen_text(app) and timer.has_class("-overrun")
        await pilot.press("s")
        clock.now += 600
        timer.tick()
        await pilot.pause()
        assert "+02:10 over (paused)" in screen_text(app)
        # The discussion phase has its own timer; starting it pauses the presentation's.
        await pilot.press("tab", "s")
        clock.now += 65
        timer.tick()
        await pilot.pause()
        assert "01:05 / 30:00 (running)" in screen_text(app)


async def test_twenty_criteria_fit_and_scroll_at_80x24(tmp_path: Path) -> None:
    lines = ["rubric: big", "title: Twenty criteria", "scale:", "  1: Low", "  2: Mid", "  3: High", "phases:"]
    lines += ["  - id: talk", "    title: Talk", "    minutes: 30", "pass_rule:", "  weighted_percentage: 50"]
    lines += ["moderation:", "  discrepancy_threshold: 1", "criteria:"]
    for n in range(1, 21):
        lines += [f"  - id: c{n:02d}", "    phase: talk", f"    title: Criterion number {n:02d}", "    weight: 1"]
        lines += ["    levels:", *(f"      {lv}: Level {lv} of criterion {n:02d}, observable." for lv in (1, 2, 3))]
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines) + "\n")
    big = load_rubric(path)
    db = tmp_path / "panel.db"
    app = new_app(db, big)
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        text = screen_text(app)
        assert "Criterion number 01" in text and "Criterion number 20" not in text
        await pilot.press(*["down"] * 19, "3", "left")
        await pilot.pause()
        text = screen_text(app)
        assert "3  High          Criterion number 20" in text
        assert "2 Mid: Level 2 of criterion 20, observable." in text  # the browsed level's descriptor
        assert "(1/20 scored)" in text
        assert "tab Next phase" in text.splitlines()[-1]  # the footer is still on screen
    assert dict(sheet_in(db, big).levels) == {"c20": 3}


async def test_roster_is_offered(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    conn = store.open_store(str(db))
    conn.execute("CREATE TABLE candidates (candidate_id TEXT PRIMARY KEY, name TEXT, route TEXT)")
    conn.execute("INSERT INTO candidates VALUES ('C-100', 'Dana Okafor', 'standard')")
    conn.close()
    app = new_app(db, rubric, roster=[("C-200", "Eli Park")])
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert "Roster: 2 candidates" in text and "Dana Okafor" in text and "Eli Park" in text
        await pilot.press(*"Ann", "tab", "tab", "down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
        await pilot.press("n")
        await pilot.pause()
        assert "C-200 · Ann" in screen_text(app)
    assert sheet_in(db, rubric, candidate="C-200") is not None
