"""Chair mode and criterion moderation: the consolidated sheet, driven with Pilot and checked in the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccsoo_exam.aggregation import FAIL, MODERATE, PASS, aggregate, report_as_text
from ccsoo_exam.cli import main
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.rubric import Rubric, load_rubric
from ccsoo_exam.scoresheet import TimerEvent
from ccsoo_exam.store import scoresheets as store
from ccsoo_exam.ui.panel import make_chair_app
from ccsoo_exam.ui.panel.chair import ConsolidationScreen, ModerateScreen
from ccsoo_exam.ui.panel.status import StatusLine
from tests.admin_data import enrolled_admin, terminal_signer
from tests.conftest import ROOT
from tests.test_panel_ui import FakeClock, Stamps, screen_text

SAMPLE = ROOT / "rubrics" / "executive-presentation.yaml"
IDS = (
    "service-excellence-frameworks",
    "process-optimization-strategies",
    "customer-experience-innovation",
    "executive-communication",
    "cross-functional-leadership",
    "stakeholder-alignment",
    "technology-and-human-capital",
)


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(SAMPLE)


def scored(conn, rubric: Rubric, candidate: str, panelist: str, levels: tuple[int, ...], *, seal: bool = True) -> str:
    at = "2026-03-02T10:00:00Z"
    sheet = store.open_sheet(conn, rubric, candidate, panelist, at)
    store.declare_conflict(conn, rubric, sheet.sheet_id, False, "", at)
    for criterion_id, level in zip(IDS, levels, strict=False):
        store.set_level(conn, rubric, sheet.sheet_id, criterion_id, level, at)
    if seal:
        store.seal(conn, rubric, sheet.sheet_id, "2026-03-02T10:40:00Z", signer=terminal_signer())
    return sheet.sheet_id


@pytest.fixture
def merged(tmp_path: Path, rubric: Rubric) -> Path:
    """A merged database: Ann and Bo finalised C-1, 2 levels apart on process optimization; Cy mid-way."""
    db = tmp_path / "merged.db"
    conn = store.open_store(str(db))
    scored(conn, rubric, "C-1", "Ann", (3, 2, 3, 3, 3, 3, 3))
    scored(conn, rubric, "C-1", "Bo", (3, 4, 3, 3, 3, 3, 4))
    scored(conn, rubric, "C-1", "Cy", (3, 3, 3), seal=False)
    conn.close()
    return db


def test_criterion_moderation_sets_the_final_level(tmp_path: Path, merged: Path, rubric: Rubric) -> None:
    conn = store.open_store(str(merged))
    sheets = store.list_sheets(conn, rubric.id)
    [result], _ = aggregate(rubric, sheets)
    assert result.decision == MODERATE and [d.criterion_id for d in result.unresolved] == [IDS[1]]
    assert result.pending == ("Cy",) and result.final_levels == {}
    with pytest.raises(CcsooError, match="must be on the scale 1-5"):
        store.record_criterion_moderation(conn, rubric, "C-1", IDS[1], 7, "x", "Mo", "t")
    with pytest.raises(CcsooError, match="has no criterion 'nope'"):
        store.record_criterion_moderation(conn, rubric, "C-1", "nope", 3, "x", "Mo", "t")
    with pytest.raises(CcsooError, match="needs the moderator's reason"):
        store.record_criterion_moderation(conn, rubric, "C-1", IDS[1], 3, "  ", "Mo", "t")
    store.record_criterion_moderation(conn, rubric, "C-1", IDS[1], 2, "first view", "Mo", "t1")
    store.record_criterion_moderation(conn, rubric, "C-1", IDS[1], 3, "slide 4 shows the baseline", "Mo", "t2")
    [result], _ = aggregate(rubric, sheets, (), store.criterion_moderations(conn, rubric.id))
    conn.close()
    # The latest moderation counts: level 3 on process optimization; the other criteria keep the panel mean.
    assert result.final_levels[IDS[1]] == 3.0 and result.final_levels[IDS[6]] == 3.5
    # Levels 3 3 3 3 | 3 3 3.5 with weights 20 20 20 10 | 10 10 10: (90*0.5 + 10*0.5 + 10*0.625) / 100 = 51.25%
    assert result.final == pytest.approx(51.25)
    assert result.decision == PASS and result.unresolved == ()


def test_a_profile_failing_the_discussion_phase_fails_even_with_a_high_mean(rubric: Rubric, tmp_path: Path) -> None:
    conn = store.open_store(str(tmp_path / "p.db"))
    scored(conn, rubric, "C-2", "Ann", (5, 5, 5, 5, 2, 2, 2))
    scored(conn, rubric, "C-2", "Bo", (5, 5, 5, 5, 2, 2, 2))
    [result], _ = aggregate(rubric, store.list_sheets(conn, rubric.id))
    conn.close()
    assert result.final == pytest.approx(77.5)
    assert result.decision == FAIL and result.shortfalls == ("Panel discussion and Q&A 25.0% < 50%",)


async def test_chair_moderates_and_seals_the_consolidated_sheet(merged: Path, rubric: Rubric) -> None:
    app = make_chair_app(str(merged), rubric, clock=FakeClock(), wall=Stamps())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"Dee Chair", "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConsolidationScreen)
        text = screen_text(app)
        assert "Ann: finalised 7/7 (45.0%)" in text and "Bo: finalised 7/7 (57.5%)" in text
        assert "Cy: in progress 3/7" in text
        # The discrepancy is marked on its row, in a way that needs no colour.
        row = next(line for line in text.splitlines() if "Process optimization strategies" in line)
        assert row.lstrip().startswith("! 2 4") and " 3.00 ?" in row
        assert "MODERATION NEEDED" in text
        await pilot.press("f")
        await pilot.pause()
        said = app.screen.query_one(StatusLine).text
        assert "sheets not finalised yet: Cy" in said and f"criteria still to moderate: {IDS[1]}" in said
        await pilot.press("down", "m")
        await pilot.pause()
        assert isinstance(app.screen, ModerateScreen)
        await pilot.press("4", "enter", *"agreed: root cause shown", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "moderated to 4 Strong by Dee Chair: agreed: root cause shown" in " ".join(text.split())
        # Cy finishes; the chair can seal.
        conn = store.open_store(str(merged))
        cy = store.find_sheet(conn, rubric.id, "C-1", "Cy")
        for criterion_id, level in zip(IDS[3:], (3, 3, 3, 3), strict=True):
            store.set_level(conn, rubric, cy.sheet_id, criterion_id, level, "t")
        store.seal(conn, rubric, cy.sheet_id, "t", signer=terminal_signer())
        conn.close()
        app.screen.reload()
        await pilot.press("f", "y")
        await pilot.pause()
        assert "SEALED" in screen_text(app)
        await pilot.press("m")
        await pilot.pause()
        assert "sealed; it cannot be moderated" in app.screen.query_one(StatusLine).text
    conn = store.open_store(str(merged))
    sealed = store.consolidation(conn, rubric, "C-1")
    [moderation] = store.criterion_moderations(conn, rubric.id)
    conn.close()
    assert sealed is not None and sealed.verifies() and sealed.chair == "Dee Chair"
    content = json.loads(sealed.content)
    process = next(c for c in content["criteria"] if c["criterion_id"] == IDS[1])
    assert process["levels"] == {"Ann": 2, "Bo": 4, "Cy": 3} and process["discrepancy"] is True
    assert process["moderated"]["level"] == 4 and process["moderated"]["reason"] == "agreed: root cause shown"
    assert content["decision"] == PASS and set(content["sheets"].values()) == {"Ann", "Bo", "Cy"}
    assert (moderation.criterion_id, moderation.level, moderation.moderator) == (IDS[1], 4, "Dee Chair")


def test_cli_moderate_by_criterion_and_report_shows_names_notes_and_timer(
    tmp_path: Path, merged: Path, rubric: Rubric, capsys
) -> None:
    conn = store.open_store(str(merged))
    ann = store.find_sheet(conn, rubric.id, "C-1", "Ann")
    conn.close()
    base = ["panel", "moderate", "--db", str(merged), "--candidate", "C-1"]
    assert main([*base, "--criterion", IDS[1], "--reason", "x", "--moderator", "Mo"]) == 2
    assert "needs both --criterion ID and --level N" in capsys.readouterr().err
    assert main([*base, "--criterion", IDS[1], "--level", "3", "--reason", "agreed", "--moderator", "Mo"]) == 0
    assert "Process optimization strategies moderated to 3 Competent by Mo" in capsys.readouterr().out
    # A note and a timer record on a fresh sheet of a second candidate.
    conn = store.open_store(str(merged))
    sheet = store.open_sheet(conn, rubric, "C-9", "Ann", "2026-03-02T11:00:00Z")
    store.declare_conflict(conn, rubric, sheet.sheet_id, False, "", "t")
    store.record_timer(conn, rubric, sheet.sheet_id, [TimerEvent("presentation", "start", 0.0)], "t")
    store.record_timer(conn, rubric, sheet.sheet_id, [TimerEvent("presentation", "stop", 31 * 60 + 5)], "t")
    store.add_note(conn, rubric, sheet.sheet_id, IDS[0], "[b]SERVQUAL[/b] on two channels", "2026-03-02T11:05:00Z")
    for criterion_id in IDS:
        store.set_level(conn, rubric, sheet.sheet_id, criterion_id, 4, "t")
    store.seal(conn, rubric, sheet.sheet_id, "t", signer=terminal_signer())
    conn.close()
    assert main(["panel", "report", "--db", str(merged)]) == 0
    out = capsys.readouterr().out
    for line in out.splitlines():
        assert len(line) <= 80, line
    flat = " ".join(out.split())
    assert "! Process optimization strategies (weight 20, presentation)" in out
    assert "Pass rule: final >= 50%, each phase >= 50%, every criterion's final level >= its minimum" in flat
    assert "Ann 2 Developing · Bo 4 Strong · mean 3.00 · moderated to 3 Competent by Mo" in flat
    assert "timer: Executive presentation 31:05 of 30:00 (+01:05 over)" in flat
    assert "note on Service excellence frameworks at 2026-03-02T11:05:00Z: [b]SERVQUAL[/b] on two channels" in flat
    assert "Delivering service excellence through technology and human capital" in flat
    assert ann.sheet_id  # Ann's C-1 sheet is listed with its percentage
    assert "Ann: 45.0%, finalised 2026-03-02T10:40:00Z" in flat
    assert main(["panel", "report", "--db", str(merged), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    c9 = next(c for c in data["candidates"] if c["candidate_id"] == "C-9")
    assert c9["panelists"][0]["notes"][0]["text"] == "[b]SERVQUAL[/b] on two channels"
    assert c9["panelists"][0]["timer"] == [{"phase_id": "presentation", "seconds": 1865.0, "running": False}]
    assert [c["title"] for c in data["criteria"]][:1] == ["Service excellence frameworks"]
    c1 = next(c for c in data["candidates"] if c["candidate_id"] == "C-1")
    assert c1["criterion_moderations"][IDS[1]]["level"] == 3
    assert report_as_text  # the text form is what the CLI printed above


def test_control_characters_are_refused_where_text_enters(merged: Path, rubric: Rubric) -> None:
    conn = store.open_store(str(merged))
    try:
        sheet = store.open_sheet(conn, rubric, "C-5", "Ann", "t")
        with pytest.raises(CcsooError, match="control characters"):
            store.declare_conflict(conn, rubric, sheet.sheet_id, True, "ex-boss\x1b]0;pwned\x07", "t")
        with pytest.raises(CcsooError, match="control characters"):
            store.void_sheet(conn, sheet.sheet_id, "typo\x1b[2J", "t")
        store.declare_conflict(conn, rubric, sheet.sheet_id, False, "", "t")
        with pytest.raises(CcsooError, match="control characters"):
            store.add_note(conn, rubric, sheet.sheet_id, IDS[0], "good\x1b[31m", "t")
        with pytest.raises(CcsooError, match="control characters"):
            store.record_criterion_moderation(conn, rubric, "C-1", IDS[1], 3, "ok\x1b[0m", "Mo", "t")
        with pytest.raises(CcsooError, match="control characters"):
            store.open_sheet(conn, rubric, "C-\x1b[1m", "Ann", "t")
    finally:
        conn.close()


def test_imported_consolidated_sheet_must_match_its_seal(tmp_path: Path, merged: Path, rubric: Rubric) -> None:
    conn = store.open_store(str(merged))
    cy = store.find_sheet(conn, rubric.id, "C-1", "Cy")
    for criterion_id in IDS[3:]:
        store.set_level(conn, rubric, cy.sheet_id, criterion_id, 3, "t")
    store.seal(conn, rubric, cy.sheet_id, "t", signer=terminal_signer())
    typo = store.open_sheet(conn, rubric, "C-1x", "Cy", "t")
    store.void_sheet(conn, typo.sheet_id, "mistyped id", "t")
    store.record_criterion_moderation(conn, rubric, "C-1", IDS[1], 3, "agreed", "Mo", "t")
    sealed = store.seal_consolidation(conn, rubric, "C-1", "Mo", "t2")
    conn.execute('UPDATE panel_consolidated SET content = replace(content, \'"chair":"Mo"\', \'"chair":"Xy"\')')
    conn.commit()
    conn.close()
    target = tmp_path / "target.db"
    enrolled_admin(target)
    [(_, report)] = store.import_files(str(target), [str(merged)])
    assert report.voided == (typo.sheet_id,) and report.skipped == () and len(report.added) == 3
    assert [p.message for p in report.conflicts] == [
        f"consolidated sheet {sealed.consolidation_id} does not match its seal; skipped"
    ]
    conn = store.open_store(str(target))
    assert len(store.criterion_moderations(conn, rubric.id)) == 1
    conn.close()


def test_admin_decisions_follow_the_moderated_criteria(tmp_path: Path, merged: Path, rubric: Rubric, capsys) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("candidate_id,name,degree,years_senior_management,route\nC-1,Ada,MBA,12,panel\n")
    admin_db = str(tmp_path / "admin.db")
    conn = store.open_store(str(merged))
    cy = store.find_sheet(conn, rubric.id, "C-1", "Cy")
    for criterion_id in IDS[3:]:
        store.set_level(conn, rubric, cy.sheet_id, criterion_id, 3, "t")
    store.seal(conn, rubric, cy.sheet_id, "t", signer=terminal_signer())
    conn.close()
    enrolled_admin(admin_db)
    assert main(["admin", "merge", str(merged), "--into", admin_db]) == 0
    assert main(["admin", "roster", "import", str(roster), "--db", admin_db]) == 0
    assert main(["admin", "decisions", "--db", admin_db]) == 0
    assert "C-1  Ada: PENDING" in capsys.readouterr().out  # a discrepancy awaits moderation
    args = ["--candidate", "C-1", "--criterion", IDS[1], "--level", "3", "--reason", "agreed", "--moderator", "Mo"]
    assert main(["panel", "moderate", "--db", admin_db, *args]) == 0
    assert main(["admin", "decisions", "--db", admin_db]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "C-1 Ada: CERTIFIED" in out and "passed the panel assessment (50.8%)" in out
