"""The panel screens driven with Pilot at 80x24, asserting on the database and on the screen's text."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual import events

from ccsoo_exam.aggregation import aggregate
from ccsoo_exam.rubric import Rubric, load_rubric
from ccsoo_exam.scoresheet import ScoresheetError, canonical_content, verify_seal
from ccsoo_exam.store import scoresheets as store
from ccsoo_exam.ui.panel import PanelApp, make_panel_app
from ccsoo_exam.ui.panel.modals import ConfirmScreen, ConflictScreen, LateConflictScreen
from ccsoo_exam.ui.panel.scoring import ScoringScreen
from ccsoo_exam.ui.panel.status import StatusLine
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


class WallClock:
    """The room's clock, moved by hand; unlike ``Stamps`` it stands still until the test moves it."""

    def __init__(self, start: str = "2025-05-01T10:00:00Z") -> None:
        self.now = datetime.fromisoformat(start)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def __call__(self) -> str:
        return self.now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(SAMPLE)


def new_app(
    db: Path,
    rubric: Rubric,
    clock: FakeClock | None = None,
    wall: Callable[[], str] | None = None,
    **kwargs: object,
) -> PanelApp:
    return make_panel_app(str(db), rubric, clock=clock or FakeClock(), wall=wall or Stamps(), **kwargs)  # type: ignore[arg-type]


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


async def score_all_and_finalise(pilot, rubric: Rubric) -> None:
    """Level 3 on every criterion of both phases, then finalise and confirm."""
    for phase in rubric.phases:
        for index, _ in enumerate(rubric.criteria_in(phase.id)):
            await pilot.press("down" if index else "home", "3")
        await pilot.press("tab")
    await pilot.press("f", "y")
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
        await score_all_and_finalise(pilot, rubric)
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
        # The first row is highlighted from the start: enter opens it, no down needed.
        await pilot.press(*"Ann", "tab", "tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
        await pilot.press("escape", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
        await pilot.press("n")
        await pilot.pause()
        assert "C-200 · Ann" in screen_text(app)
    assert sheet_in(db, rubric, candidate="C-200") is not None
    assert sheet_in(db, rubric, candidate="C-100").conflict is None  # opened, then escape: nothing declared


async def test_running_timer_survives_a_crash_by_the_wall_clock(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    clock, wall = FakeClock(), WallClock()
    first = new_app(db, rubric, clock, wall)
    async with first.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        await pilot.press("3", "s")
        clock.now += 25 * 60
        wall.advance(25 * 60)
        first.screen.query_one(PhaseTimer).tick()
        await pilot.pause()
        assert "25:00 / 30:00 (running)" in screen_text(first)
    # kill -9 at minute 25: nothing is written on the way down. The presentation goes on in the
    # room for 6 minutes 15 seconds while the laptop restarts; the new process has a monotonic
    # clock that starts somewhere else entirely.
    wall.advance(6 * 60 + 15)
    clock = FakeClock()
    clock.now = 3.5
    second = new_app(db, rubric, clock, wall)
    async with second.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert isinstance(second.screen, ScoringScreen)
        timer = second.screen.query_one(PhaseTimer)
        text = screen_text(second)
        assert "+01:15 over (running)" in text and timer.has_class("-overrun")
        assert "Phase 1/2: Executive presentation" in text and "(1/7 scored)" in text
        # From here the monotonic clock counts; the wall clock is not read again for timing.
        clock.now += 60
        wall.advance(3600)
        timer.tick()
        await pilot.pause()
        assert "+02:15 over (running)" in screen_text(second)
        await pilot.press("s")
        await pilot.pause()
        assert "+02:15 over (paused)" in screen_text(second)
    conn = store.open_store(str(db))
    events = store.timer_events(conn, sheet_in(db, rubric).sheet_id)
    conn.close()
    assert [(e.phase_id, e.kind, e.elapsed) for e in events] == [
        ("presentation", "start", 0.0),
        ("presentation", "stop", 32 * 60 + 15),
    ]


async def test_stopped_timers_are_restored_exactly(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    clock, wall = FakeClock(), WallClock()
    first = new_app(db, rubric, clock, wall)
    async with first.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        await pilot.press("s")
        clock.now += 754.25
        # Switching the timer to the discussion stops the presentation's: one transaction, two events.
        await pilot.press("tab", "s")
        clock.now += 100.5
        await pilot.press("s")
        clock.now += 50
        await pilot.pause()
        assert "01:40 / 30:00 (paused)" in screen_text(first)
    # Stopped timers do not move while the program is down, however long that is.
    wall.advance(86_400)
    clock = FakeClock()
    second = new_app(db, rubric, clock, wall)
    async with second.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        timer = second.screen.query_one(PhaseTimer)
        assert timer.running_phase is None
        assert timer.elapsed("presentation") == 754.25 and timer.elapsed("discussion") == 100.5
        assert "12:34 / 30:00 (paused)" in screen_text(second)
        await pilot.press("tab")
        assert "01:40 / 30:00 (paused)" in screen_text(second)
        # Restarting banks on top of the restored time.
        await pilot.press("s")
        clock.now += 20
        timer.tick()
        await pilot.pause()
        assert "02:00 / 30:00 (running)" in screen_text(second)


async def test_conflict_found_mid_session_seals_a_recusal(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    clock, wall = FakeClock(), WallClock()
    app = new_app(db, rubric, clock, wall)
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        await pilot.press("s", "4", "down", "2", "n", *"strong opener", "enter")
        await pilot.pause()
        clock.now += 600
        wall.advance(600)
        # Escape on the question changes nothing.
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, LateConflictScreen)
        assert "2 levels and 1 note" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen) and not sheet_in(db, rubric).sealed
        # An empty description is refused; a real one recuses at once.
        await pilot.press("c", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LateConflictScreen)
        await pilot.press(*"coached her in 2023", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, (LateConflictScreen, ScoringScreen))
        assert "recused (conflict)" in screen_text(app)
        # Reopening the candidate does not offer the sheet for scoring again.
        app.screen.query_one("#candidate").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ScoringScreen)
    recusal = sheet_in(db, rubric)
    assert recusal.conflict and recusal.conflict_reason == "coached her in 2023" and verify_seal(recusal)
    assert recusal.sealed_at == "2025-05-01T10:10:00Z"
    assert dict(recusal.levels) == {} and recusal.notes == ()
    # The same sealed content as a conflict declared before any scoring.
    conn = store.open_store(str(db))
    upfront = store.open_sheet(conn, rubric, "C-001", "Bo", "2025-05-01T10:00:00Z")
    upfront = store.declare_conflict(conn, rubric, upfront.sheet_id, True, "coached her in 2023", "t")
    late_content, upfront_content = (json.loads(canonical_content(s)) for s in (recusal, upfront))
    for content in (late_content, upfront_content):
        del content["sheet_id"], content["panelist"]
    assert late_content == upfront_content and late_content["levels"] == {} and late_content["notes"] == []
    # What was entered stays in the log; the running timer stopped with the sheet.
    log = store.changes(conn, recusal.sheet_id)
    assert [c.kind for c in log] == ["open", "conflict", "level", "level", "note", "conflict", "seal"]
    assert [(c.new_level, c.text) for c in log if c.kind in ("level", "note")] == [
        (4, ""),
        (2, ""),
        (None, "strong opener"),
    ]
    assert (log[-2].old_level, log[-2].new_level, log[-2].at) == (0, 1, "2025-05-01T10:10:00Z")
    events = store.timer_events(conn, recusal.sheet_id)
    assert [(e.kind, e.elapsed) for e in events] == [("start", 0.0), ("stop", 600.0)]
    # Excluded from aggregation, and closed to every edit.
    [result], _ = aggregate(rubric, store.list_sheets(conn, rubric.id))
    assert result.recused == ("Ann", "Bo") and result.scores == () and result.pending == ()
    for attempt in (
        lambda: store.set_level(conn, rubric, recusal.sheet_id, "executive-communication", 3, "t"),
        lambda: store.add_note(conn, rubric, recusal.sheet_id, "executive-communication", "late", "t"),
        lambda: store.undo(conn, rubric, recusal.sheet_id, "t"),
        lambda: store.declare_late_conflict(conn, rubric, recusal.sheet_id, "again", "t"),
    ):
        with pytest.raises(ScoresheetError):
            attempt()
    conn.close()


async def test_conflict_key_on_a_finalised_sheet_changes_nothing(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        await score_all_and_finalise(pilot, rubric)
        sealed = sheet_in(db, rubric)
        await pilot.press("c", "s")
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen) and "FINALISED" in screen_text(app)
    assert sheet_in(db, rubric) == sealed and not sealed.conflict


# --- issue 13: typing ahead, the status line, voiding, literal text -------------------------


def burst(app: PanelApp, *parts: str) -> None:
    """Queue keys on the app all at once, as a terminal delivers a fast typist's burst.

    ``pilot.press`` waits for each key to be handled before sending the next, which hides
    exactly the race a real burst runs into; posting every key before any is handled does not.
    """
    for part in parts:
        if part in ("enter", "tab", "escape", "down", "up"):
            app.post_message(events.Key(part, "\r" if part == "enter" else None))
            continue
        for char in part:
            app.post_message(events.Key("space" if char == " " else char, char))


@pytest.mark.parametrize("run", range(5))
async def test_sign_in_burst_keeps_every_key_in_its_field(tmp_path: Path, rubric: Rubric, run: int) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "Ann Fast", "enter", "C01", "enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen), f"run {run}: no sheet opened"
        assert "Ann Fast, before you score candidate C01" in screen_text(app)
        # Typing on after the second enter answers the conflict question, in order.
        burst(app, "n")
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen)
        assert "C01 · Ann Fast" in screen_text(app)
    sheet = sheet_in(db, rubric, candidate="C01", panelist="Ann Fast")
    assert sheet is not None and sheet.conflict is False
    conn = store.open_store(str(db))
    assert [(s.panelist, s.candidate_id) for s in store.list_sheets(conn)] == [("Ann Fast", "C01")]
    conn.close()


async def test_tab_typed_ahead_moves_to_the_id_field(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "Bo", "tab", "X-9", "enter", "n", "4")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen)
    assert dict(sheet_in(db, rubric, candidate="X-9", panelist="Bo").levels) == {"service-excellence-frameworks": 4}


async def test_messages_never_cover_the_descriptor(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    descriptor = rubric.criterion("service-excellence-frameworks").descriptors[4]
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        await pilot.press("4", "s", "f")  # a level, the timer, and a refused finalise (long error)
        await pilot.pause()
        text = screen_text(app)
        flat = " ".join(text.split())
        assert "x Cannot finalise: 6 criteria not scored yet" in text
        # The whole descriptor being read is on screen, word for word, and no toast is up.
        assert f"4 Strong: {descriptor}" in flat
        assert "Aligning operational practices with stakeholder expectations, Delivering service" in flat
        assert not app._notifications
        status = app.screen.query_one(StatusLine)
        assert [severity for severity, _ in status.said] == ["information", "error"]
        assert status.said[0][1] == "Executive presentation timer started."
        # The status line sits below the descriptor and the notes, above the footer.
        lines = text.splitlines()
        row = next(i for i, line in enumerate(lines) if "Cannot finalise" in line)
        notes = next(i for i, line in enumerate(lines) if "no notes on this criterion" in line)
        assert notes < row < len(lines) - 1


async def test_mistyped_candidate_sheet_can_be_voided(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, candidate="C-0001x")  # a typo; the conflict question comes up
        await pilot.press("escape")
        await pilot.pause()
        assert "in progress 0/7" in screen_text(app)
        await pilot.press("tab", "v")  # the list: the typo's sheet is the highlighted row
        await pilot.pause()
        await pilot.press("enter")  # an empty reason is refused
        await pilot.pause()
        assert "Give a reason" in screen_text(app)
        await pilot.press(*"mistyped id", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert app.screen.query_one("#candidates").option_count == 0 and "in progress" not in text
        assert "Sheet for C-0001x voided" in text
        # From the scoring screen: declared no conflict, nothing scored, v voids too.
        app.screen.query_one("#candidate").value = ""
        app.screen.query_one("#candidate").focus()
        await pilot.press(*"C-2", "enter", "n", "v", *"wrong candidate", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, ScoringScreen) and "Sheet for C-2 voided" in screen_text(app)
    conn = store.open_store(str(db))
    try:
        voided = store.find_sheet(conn, rubric.id, "C-0001x", "Ann")
        assert voided is not None and voided.voided and voided.void_reason == "mistyped id"
        assert [c.kind for c in store.changes(conn, voided.sheet_id)] == ["open", "void"]
        assert store.changes(conn, voided.sheet_id)[-1].text == "mistyped id"
        assert [c.kind for c in store.changes(conn, sheet_in(db, rubric, "C-2").sheet_id)] == [
            "open",
            "conflict",
            "void",
        ]
        # Never deleted, counted nowhere, and a scored sheet cannot be voided.
        assert aggregate(rubric, store.list_sheets(conn)) == ((), ())
        scored = store.open_sheet(conn, rubric, "C-3", "Ann", "t")
        store.declare_conflict(conn, rubric, scored.sheet_id, False, "", "t")
        store.set_level(conn, rubric, scored.sheet_id, "executive-communication", 3, "t")
        with pytest.raises(ScoresheetError, match="only an unscored sheet"):
            store.void_sheet(conn, scored.sheet_id, "oops", "t")
        # Choosing the voided candidate again brings the sheet back, logged.
        again = store.open_sheet(conn, rubric, "C-0001x", "Ann", "t2")
        assert again.sheet_id == voided.sheet_id and not again.voided
        assert [c.kind for c in store.changes(conn, voided.sheet_id)] == ["open", "void", "reopen"]
    finally:
        conn.close()


async def test_names_and_notes_are_shown_literally(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    roster = [("C-7", "[bold red]Eve[/] \x1b[2J")]
    app = new_app(db, rubric, roster=roster)
    async with app.run_test(size=SIZE) as pilot:
        assert "[bold red]Eve[/] <U+001B>[2J" in screen_text(app)
        await sign_in(pilot, panelist="[i]Mal[/i]", candidate="C-7")
        assert "[i]Mal[/i], before you score candidate C-7" in " ".join(screen_text(app).split())
        await pilot.press("n", "n", *"[link=x]click[/link] $x", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "C-7 · [i]Mal[/i]" in text and "[link=x]click[/link] $x" in text


async def test_note_typed_straight_after_n_goes_into_the_note(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        burst(app, "3", "n", "5 of 7 KPIs, 9.5 to 7.0 min", "enter", "down", "4")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen)
    sheet = sheet_in(db, rubric)
    # The digits in the note scored nothing; the keys after the note went back to scoring.
    assert dict(sheet.levels) == {"service-excellence-frameworks": 3, "process-optimization-strategies": 4}
    assert [n.text for n in sheet.notes] == ["5 of 7 KPIs, 9.5 to 7.0 min"]


async def test_conflict_reason_typed_straight_after_y_is_kept(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "Cy", "enter", "C-1", "enter", "y", "my ex-boss, 2019", "enter")
        await pilot.pause()
        await pilot.pause()
        assert "recused (conflict)" in screen_text(app)
    sheet = sheet_in(db, rubric, candidate="C-1", panelist="Cy")
    assert sheet.conflict and sheet.conflict_reason == "my ex-boss, 2019"


async def test_list_keys_typed_ahead_open_the_row_they_reach(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "panel.db"
    app = new_app(db, rubric, roster=[("C-1", "Ada"), ("C-2", "Bo"), ("C-3", "Cy")])
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "Ann", "tab", "tab", "down", "down", "enter", "n")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen) and "C-3 · Ann" in screen_text(app)
