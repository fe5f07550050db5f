"""The scoresheet store: durable single-transaction changes, undo log, sealing, crash reopen, merging."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ccsoo_exam.cli import main
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.rubric import Rubric, load_rubric, rubric_from_bytes
from ccsoo_exam.scoresheet import ScoresheetError, TimerEvent, restore_laps, seal_hash, verify_seal
from ccsoo_exam.store import admin
from ccsoo_exam.store import scoresheets as store
from tests.admin_data import enrolled, terminal_signer
from tests.conftest import ROOT
from tests.test_rubric import MINI

SAMPLE = ROOT / "rubrics" / "executive-presentation.yaml"


@pytest.fixture
def rubric(tmp_path: Path) -> Rubric:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI)
    return load_rubric(path)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "panel.db")


def target_store(path: str) -> sqlite3.Connection:
    """An import target where the panelists' machine (the tests' one key) is enrolled."""
    return enrolled(admin.open_admin(path))


def scored(conn: sqlite3.Connection, rubric: Rubric, candidate: str, panelist: str, a: int, b: int) -> str:
    sheet = store.open_sheet(conn, rubric, candidate, panelist, "t0")
    store.declare_conflict(conn, rubric, sheet.sheet_id, False, "", "t0")
    store.set_level(conn, rubric, sheet.sheet_id, "a", a, "t1")
    store.set_level(conn, rubric, sheet.sheet_id, "b", b, "t2")
    store.seal(conn, rubric, sheet.sheet_id, "t3", signer=terminal_signer())
    return sheet.sheet_id


def test_connection_is_durable_and_each_change_is_committed(db: str, rubric: Rubric) -> None:
    conn = store.open_store(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    sheet = store.open_sheet(conn, rubric, " C-1 ", "Ann  Lee", "t0")
    assert (sheet.candidate_id, sheet.panelist, sheet.conflict) == ("C-1", "Ann Lee", None)
    assert store.open_sheet(conn, rubric, "C-1", "Ann Lee", "t9").sheet_id == sheet.sheet_id
    store.declare_conflict(conn, rubric, sheet.sheet_id, False, "", "t1")
    after = store.set_level(conn, rubric, sheet.sheet_id, "a", 2, "t2")
    assert dict(after.levels) == {"a": 2}
    assert not conn.in_transaction
    # Another connection sees it at once: the call returned only after COMMIT.
    other = sqlite3.connect(db)
    assert other.execute("SELECT criterion_id, level FROM panel_scores").fetchall() == [("a", 2)]
    kinds = [c.kind for c in store.changes(conn, sheet.sheet_id)]
    assert kinds == ["open", "conflict", "level"]
    # Setting the same level again writes nothing.
    store.set_level(conn, rubric, sheet.sheet_id, "a", 2, "t3")
    assert len(store.changes(conn, sheet.sheet_id)) == 3


def test_scoring_before_declaring_or_off_scale_is_refused(db: str, rubric: Rubric) -> None:
    conn = store.open_store(db)
    sheet = store.open_sheet(conn, rubric, "C-1", "Ann", "t0")
    with pytest.raises(ScoresheetError, match="declare any conflict"):
        store.set_level(conn, rubric, sheet.sheet_id, "a", 2, "t1")
    store.declare_conflict(conn, rubric, sheet.sheet_id, False, "", "t1")
    with pytest.raises(ScoresheetError, match="already declared"):
        store.declare_conflict(conn, rubric, sheet.sheet_id, True, "late", "t1")
    with pytest.raises(ScoresheetError, match="not on the scale"):
        store.set_level(conn, rubric, sheet.sheet_id, "a", 7, "t1")
    assert conn.execute("SELECT COUNT(*) FROM panel_scores").fetchone()[0] == 0
    assert not conn.in_transaction  # the refused change rolled back


def test_undo_reverts_levels_and_notes_in_turn_and_is_logged(db: str, rubric: Rubric) -> None:
    conn = store.open_store(db)
    sheet_id = store.open_sheet(conn, rubric, "C-1", "Ann", "t0").sheet_id
    store.declare_conflict(conn, rubric, sheet_id, False, "", "t0")
    store.set_level(conn, rubric, sheet_id, "a", 1, "t1")
    store.set_level(conn, rubric, sheet_id, "a", 3, "t2")
    sheet = store.add_note(conn, rubric, sheet_id, "a", "named a framework", "t3")
    assert [(n.criterion_id, n.text, n.noted_at) for n in sheet.notes] == [("a", "named a framework", "t3")]
    sheet, undone = store.undo(conn, rubric, sheet_id, "t4")
    assert undone.kind == "note" and sheet.notes == ()
    sheet, undone = store.undo(conn, rubric, sheet_id, "t5")
    assert undone.kind == "level" and dict(sheet.levels) == {"a": 1}
    sheet, undone = store.undo(conn, rubric, sheet_id, "t6")
    assert dict(sheet.levels) == {}
    sheet, undone = store.undo(conn, rubric, sheet_id, "t7")
    assert undone is None
    log = store.changes(conn, sheet_id)
    assert [(c.kind, c.undoes) for c in log[-3:]] == [("undo", 5), ("undo", 4), ("undo", 3)]
    # The note text stays in the append-only log for audit even though the note is undone.
    assert any(c.kind == "note" and c.text == "named a framework" for c in log)


def test_seal_needs_every_criterion_then_blocks_every_edit(db: str, rubric: Rubric) -> None:
    conn = store.open_store(db)
    sheet_id = store.open_sheet(conn, rubric, "C-1", "Ann", "t0").sheet_id
    store.declare_conflict(conn, rubric, sheet_id, False, "", "t0")
    store.set_level(conn, rubric, sheet_id, "a", 3, "t1")
    with pytest.raises(ScoresheetError, match="1 criteria not scored yet: Criterion B"):
        store.seal(conn, rubric, sheet_id, "t2")
    store.set_level(conn, rubric, sheet_id, "b", 2, "t2")
    sheet = store.seal(conn, rubric, sheet_id, "t3")
    assert sheet.sealed and verify_seal(store.load_sheet(conn, sheet_id))
    for attempt in (
        lambda: store.set_level(conn, rubric, sheet_id, "a", 1, "t4"),
        lambda: store.add_note(conn, rubric, sheet_id, "a", "late", "t4"),
        lambda: store.undo(conn, rubric, sheet_id, "t4"),
        lambda: store.seal(conn, rubric, sheet_id, "t4"),
    ):
        with pytest.raises(ScoresheetError, match="finalised"):
            attempt()
    assert dict(store.load_sheet(conn, sheet_id).levels) == {"a": 3, "b": 2}
    # Editing the file behind the program's back breaks the seal.
    conn.execute("UPDATE panel_scores SET level = 1 WHERE criterion_id = 'a'")
    assert not verify_seal(store.load_sheet(conn, sheet_id))


def test_declared_conflict_is_a_sealed_recusal(db: str, rubric: Rubric) -> None:
    conn = store.open_store(db)
    sheet_id = store.open_sheet(conn, rubric, "C-1", "Ann", "t0").sheet_id
    with pytest.raises(ScoresheetError, match="describe the conflict"):
        store.declare_conflict(conn, rubric, sheet_id, True, "  ", "t1")
    sheet = store.declare_conflict(conn, rubric, sheet_id, True, "line manager until 2023", "t1")
    assert sheet.conflict and sheet.sealed and verify_seal(store.load_sheet(conn, sheet_id))
    with pytest.raises(ScoresheetError):
        store.set_level(conn, rubric, sheet_id, "a", 2, "t2")


def test_timer_events_are_durable_frozen_at_seal_and_outside_it(db: str, rubric: Rubric) -> None:
    conn = store.open_store(db)
    sheet_id = store.open_sheet(conn, rubric, "C-1", "Ann", "t0").sheet_id
    start = TimerEvent("talk", "start", 30.5)
    with pytest.raises(ScoresheetError, match="declare any conflict"):
        store.record_timer(conn, rubric, sheet_id, [start], "2025-05-01T10:00:00Z")
    store.declare_conflict(conn, rubric, sheet_id, False, "", "t0")
    with pytest.raises(ScoresheetError, match="not a timer event"):
        store.record_timer(conn, rubric, sheet_id, [start, TimerEvent("lunch", "start", 0)], "2025-05-01T10:00:00Z")
    assert store.timer_events(conn, sheet_id) == []  # the whole batch rolled back
    [stored] = store.record_timer(conn, rubric, sheet_id, [start], "2025-05-01T10:00:00Z")
    assert (stored.seq, stored.at) == (1, "2025-05-01T10:00:00Z") and not conn.in_transaction
    store.set_level(conn, rubric, sheet_id, "a", 3, "t1")
    store.set_level(conn, rubric, sheet_id, "b", 2, "t2")
    unsealed_hash = seal_hash(store.load_sheet(conn, sheet_id))
    # Sealed five minutes later with the timer still running: it is stopped by the wall clock.
    sealed = store.seal(conn, rubric, sheet_id, "2025-05-01T10:05:00Z")
    assert sealed.seal_hash == unsealed_hash  # the timer is not part of the sealed content
    events = store.timer_events(conn, sheet_id)
    assert [(e.kind, e.elapsed, e.at) for e in events] == [
        ("start", 30.5, "2025-05-01T10:00:00Z"),
        ("stop", 330.5, "2025-05-01T10:05:00Z"),
    ]
    assert restore_laps(["talk", "qa"], events, "2025-05-02T00:00:00Z", 0.0)["talk"].elapsed(99.0) == 330.5
    with pytest.raises(ScoresheetError, match="finalised"):
        store.record_timer(conn, rubric, sheet_id, [TimerEvent("talk", "start", 330.5)], "2025-05-01T10:06:00Z")
    # Altering the timer log behind the program's back leaves the scores' seal intact.
    conn.execute("DELETE FROM panel_timer_events")
    assert verify_seal(store.load_sheet(conn, sheet_id))


def test_seal_records_the_callers_exact_timer_stops(db: str, rubric: Rubric) -> None:
    conn = store.open_store(db)
    sheet_id = store.open_sheet(conn, rubric, "C-1", "Ann", "t0").sheet_id
    store.declare_conflict(conn, rubric, sheet_id, False, "", "t0")
    store.record_timer(conn, rubric, sheet_id, [TimerEvent("qa", "start", 0.0)], "2025-05-01T10:00:00Z")
    store.set_level(conn, rubric, sheet_id, "a", 3, "t1")
    with pytest.raises(ScoresheetError, match="not scored yet"):
        store.seal(conn, rubric, sheet_id, "2025-05-01T10:01:00Z", closing=[TimerEvent("qa", "stop", 61.25)])
    assert len(store.timer_events(conn, sheet_id)) == 1  # a refused seal writes no stop
    store.set_level(conn, rubric, sheet_id, "b", 3, "t2")
    store.seal(conn, rubric, sheet_id, "2025-05-01T10:01:00Z", closing=[TimerEvent("qa", "stop", 61.25)])
    assert [(e.kind, e.elapsed) for e in store.timer_events(conn, sheet_id)] == [("start", 0.0), ("stop", 61.25)]


def test_late_conflict_recuses_and_keeps_the_log(db: str, rubric: Rubric) -> None:
    conn = store.open_store(db)
    sheet_id = store.open_sheet(conn, rubric, "C-1", "Ann", "t0").sheet_id
    with pytest.raises(ScoresheetError, match="answer the conflict of interest question"):
        store.declare_late_conflict(conn, rubric, sheet_id, "knows her", "t1")
    store.declare_conflict(conn, rubric, sheet_id, False, "", "t1")
    store.set_level(conn, rubric, sheet_id, "a", 3, "t2")
    store.add_note(conn, rubric, sheet_id, "a", "clear structure", "t3")
    with pytest.raises(ScoresheetError, match="describe the conflict"):
        store.declare_late_conflict(conn, rubric, sheet_id, "   ", "t4")
    assert dict(store.load_sheet(conn, sheet_id).levels) == {"a": 3}  # refused: nothing changed
    sheet = store.declare_late_conflict(conn, rubric, sheet_id, " same  club board ", "t4", signer=terminal_signer())
    assert sheet == store.load_sheet(conn, sheet_id)
    assert sheet.conflict and sheet.conflict_reason == "same club board" and sheet.sealed_at == "t4"
    assert dict(sheet.levels) == {} and sheet.notes == () and verify_seal(sheet)
    log = store.changes(conn, sheet_id)
    assert [(c.kind, c.new_level, c.text) for c in log[2:]] == [
        ("level", 3, ""),
        ("note", None, "clear structure"),
        ("conflict", 1, "same club board"),
        ("seal", None, sheet.seal_hash),
    ]
    with pytest.raises(ScoresheetError, match="finalised"):
        store.declare_late_conflict(conn, rubric, sheet_id, "again", "t5")
    # A recusal merges like any other sealed sheet, log and all.
    merged = target_store(str(Path(db).with_name("merged.db")))
    assert store.import_scoresheets(conn, merged).added == (sheet_id,)
    assert store.changes(merged, sheet_id) == log and store.load_sheet(merged, sheet_id) == sheet


def test_timer_events_are_merged_with_their_sheet(tmp_path: Path, rubric: Rubric) -> None:
    source = store.open_store(str(tmp_path / "a.db"))
    target = target_store(str(tmp_path / "b.db"))
    sheet = store.open_sheet(source, rubric, "C-1", "Ann", "t0")
    store.declare_conflict(source, rubric, sheet.sheet_id, False, "", "t0")
    store.record_timer(source, rubric, sheet.sheet_id, [TimerEvent("talk", "start", 0.0)], "2025-05-01T10:00:00Z")
    store.set_level(source, rubric, sheet.sheet_id, "a", 3, "t1")
    store.set_level(source, rubric, sheet.sheet_id, "b", 3, "t1")
    store.seal(
        source, rubric, sheet.sheet_id, "t2", closing=[TimerEvent("talk", "stop", 1805.0)], signer=terminal_signer()
    )
    store.import_scoresheets(source, target)
    store.import_scoresheets(source, target)
    assert store.timer_events(target, sheet.sheet_id) == store.timer_events(source, sheet.sheet_id)
    assert len(store.timer_events(target, sheet.sheet_id)) == 2
    # A file from before timers were recorded still imports.
    source.execute("DROP TABLE panel_timer_events")
    again = store.import_scoresheets(source, target_store(str(tmp_path / "c.db")))
    assert again.added == (sheet.sheet_id,)


def test_sheet_survives_kill_9(tmp_path: Path, db: str) -> None:
    rubric_path = tmp_path / "mini.yaml"
    rubric_path.write_text(MINI)
    script = textwrap.dedent(
        f"""
        import sys, time
        from ccsoo_exam.rubric import load_rubric
        from ccsoo_exam.store import scoresheets as store
        rubric = load_rubric({str(rubric_path)!r})
        conn = store.open_store({db!r})
        sheet = store.open_sheet(conn, rubric, "C-1", "Ann", "t0")
        store.declare_conflict(conn, rubric, sheet.sheet_id, False, "", "t0")
        store.set_level(conn, rubric, sheet.sheet_id, "a", 3, "t1")
        store.add_note(conn, rubric, sheet.sheet_id, "a", "clear", "t2")
        from ccsoo_exam.scoresheet import TimerEvent
        store.record_timer(conn, rubric, sheet.sheet_id, [TimerEvent("talk", "start", 12.5)], "2025-05-01T10:00:00Z")
        print("saved", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "saved"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    conn = store.open_store(db)
    rubric = load_rubric(rubric_path)
    sheet = store.find_sheet(conn, rubric.id, "C-1", "Ann")
    assert sheet is not None and dict(sheet.levels) == {"a": 3} and sheet.notes[0].text == "clear"
    # The timer was running when the process died: it kept running, by the wall clock.
    laps = restore_laps(["talk", "qa"], store.timer_events(conn, sheet.sheet_id), "2025-05-01T10:02:00Z", 7.0)
    assert laps["talk"].running and laps["talk"].elapsed(8.0) == 12.5 + 120 + 1 and not laps["qa"].running


def test_import_is_idempotent_and_reports_conflicts(tmp_path: Path, rubric: Rubric) -> None:
    ann = store.open_store(str(tmp_path / "ann.db"))
    bob = store.open_store(str(tmp_path / "bob.db"))
    merged = target_store(str(tmp_path / "merged.db"))
    scored(ann, rubric, "C-1", "Ann", 3, 3)
    scored(ann, rubric, "C-2", "Ann", 2, 2)
    store.open_sheet(ann, rubric, "C-3", "Ann", "t0")  # not finalised
    bob_id = scored(bob, rubric, "C-1", "Bob", 1, 3)
    store.record_moderation(bob, rubric.id, "C-1", 60, "agreed at moderation", "Mo", "t9")

    first = store.import_scoresheets(ann, merged)
    assert len(first.added) == 2 and first.unchanged == () and first.conflicts == ()
    assert [p.message for p in first.skipped] == [
        f"sheet {store.find_sheet(ann, rubric.id, 'C-3', 'Ann').sheet_id} (Ann on C-3) is not finalised; skipped"
    ]
    report = store.import_scoresheets(bob, merged)
    assert report.added == (bob_id,) and report.moderations_added == 1

    def snapshot() -> list[object]:
        tables = ("panel_sheets", "panel_scores", "panel_notes", "panel_changes", "panel_moderations", "panel_rubrics")
        return [sorted(map(tuple, merged.execute(f"SELECT * FROM {t}").fetchall())) for t in tables]

    before = snapshot()
    again = store.import_scoresheets(ann, merged), store.import_scoresheets(bob, merged)
    assert snapshot() == before
    assert [len(r.added) for r in again] == [0, 0] and [len(r.unchanged) for r in again] == [2, 1]
    assert again[1].moderations_added == 0 and again[1].conflicts == ()
    assert {s.sheet_id for s in store.list_sheets(merged)} == {
        s.sheet_id for s in store.list_sheets(ann) + store.list_sheets(bob) if s.sealed
    }

    # Same id, different content in the source: reported, never overwritten.
    bob.execute("UPDATE panel_scores SET level = 2 WHERE sheet_id = ? AND criterion_id = 'a'", (bob_id,))
    bob.execute("UPDATE panel_sheets SET seal_hash = ? WHERE sheet_id = ?", ("f" * 64, bob_id))
    clash = store.import_scoresheets(bob, merged)
    assert clash.added == ()
    assert any(p.message.startswith(f"sheet {bob_id}") for p in clash.skipped + clash.conflicts)
    assert snapshot() == before

    # A second sheet for the same panelist and candidate from another machine.
    other = store.open_store(str(tmp_path / "ann-laptop2.db"))
    twin_id = scored(other, rubric, "C-1", "Ann", 1, 1)
    twin = store.import_scoresheets(other, merged)
    assert (
        twin.added == () and "already has sheet" in twin.conflicts[0].message and twin_id in twin.conflicts[0].message
    )


def test_import_refuses_content_change_under_the_same_id(tmp_path: Path, rubric: Rubric) -> None:
    source = store.open_store(str(tmp_path / "a.db"))
    target = target_store(str(tmp_path / "b.db"))
    sheet_id = scored(source, rubric, "C-1", "Ann", 3, 3)
    store.import_scoresheets(source, target)
    # Re-seal the source with other (validly sealed) content under the same id.
    source.execute("UPDATE panel_scores SET level = 1 WHERE sheet_id = ?", (sheet_id,))
    source.execute(
        "UPDATE panel_sheets SET seal_hash = ? WHERE sheet_id = ?",
        (seal_hash(store.load_sheet(source, sheet_id)), sheet_id),
    )
    report = store.import_scoresheets(source, target)
    # The re-sealed levels are not those the change log records: refused before any comparison with the target.
    assert report.added == () and "are not those its change log records" in report.skipped[0].message
    assert dict(store.load_sheet(target, sheet_id).levels) == {"a": 3, "b": 3}


def test_roster_from_the_admin_candidates_table(db: str) -> None:
    conn = store.open_store(db)
    assert store.roster(conn) == []
    conn.execute("CREATE TABLE candidates (candidate_id TEXT PRIMARY KEY, name TEXT, route TEXT)")
    conn.execute("INSERT INTO candidates VALUES ('C-2', 'Bea Ng', 'standard'), ('C-1', 'Al Wu', 'standard')")
    assert store.roster(conn) == [("C-1", "Al Wu"), ("C-2", "Bea Ng")]


def test_stored_rubric_is_the_exact_file(db: str) -> None:
    conn = store.open_store(db)
    rubric = load_rubric(SAMPLE)
    store.open_sheet(conn, rubric, "C-1", "Ann", "t0")
    [stored] = store.stored_rubrics(conn)
    assert stored.digest == rubric.digest and stored.criteria == rubric.criteria


def test_cli_report_moderate_import(tmp_path: Path, rubric: Rubric, capsys) -> None:
    ann_db, bob_db, merged = (str(tmp_path / n) for n in ("ann.db", "bob.db", "merged.db"))
    ann, bob = store.open_store(ann_db), store.open_store(bob_db)
    scored(ann, rubric, "C-1", "Ann", 3, 3)
    scored(bob, rubric, "C-1", "Bob", 1, 3)
    ann.close()
    bob.close()
    target_store(merged).close()
    assert main(["panel", "import", "--db", merged, ann_db, bob_db]) == 0
    assert main(["panel", "import", "--db", merged, ann_db, bob_db]) == 0
    out = capsys.readouterr().out
    assert out.count("0 sheets added, 1 already present, 0 conflicts") == 2
    assert main(["panel", "report", "--db", merged]) == 0
    assert "C-1: MODERATION NEEDED" in capsys.readouterr().out
    args = ["panel", "moderate", "--db", merged, "--candidate", "C-1", "--score", "72.5"]
    assert main([*args, "--reason", "Bob misread slide 4", "--moderator", "Mo"]) == 0
    assert main(["panel", "report", "--db", merged, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert data["candidates"][0]["final"] == 72.5 and data["candidates"][0]["decision"] == "pass"
    # Bad input: path:line style messages on stderr, exit 2, no traceback.
    assert main([*args[:-1], "lots", "--reason", "x", "--moderator", "Mo"]) == 2
    assert main([*args[:-4], "--candidate", "C-404", "--score", "50", "--reason", "x", "--moderator", "Mo"]) == 2
    assert main(["panel", "report", "--db", str(tmp_path / "nope.db")]) == 2
    err = capsys.readouterr().err
    assert "--score: must be a number from 0 to 100, not 'lots'" in err
    assert "no scoresheet for candidate 'C-404'" in err
    assert "nope.db: database not found; check the path" in err
    assert "Traceback" not in err


def test_roster_csv_problems(write) -> None:
    from ccsoo_exam.cli.panel import load_roster_csv

    good = write("roster.csv", "candidate_id,name,route\nC-1,Al Wu,standard\nC-2,Bea Ng,standard\n")
    assert load_roster_csv(good) == [("C-1", "Al Wu"), ("C-2", "Bea Ng")]
    with pytest.raises(CcsooError) as caught:
        load_roster_csv(write("bad.csv", "candidate_id,name\nC-1,Al\n,Nobody\nC-1,Again\n"))
    assert [str(p).split(":", 1)[1] for p in caught.value.problems] == [
        "3: candidate_id is empty",
        "4: candidate_id 'C-1' repeats line 2",
    ]
    with pytest.raises(CcsooError, match="needs the columns candidate_id,name"):
        load_roster_csv(write("cols.csv", "id,name\nC-1,Al\n"))


def test_mini_rubric_from_bytes_matches_file(rubric: Rubric) -> None:
    assert rubric_from_bytes(MINI.encode(), "x").digest == rubric.digest
