"""Merging terminal and panel databases into the administrator's database."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from ccsoo_exam.errors import StoreError
from ccsoo_exam.store import admin, sittings
from ccsoo_exam.store.database import connect
from tests.admin_data import add_sitting, all_correct, correct_on, enrolled, panel_db, small_package, terminal_db

AT = "2026-03-03T12:00:00Z"
RESULT_TABLES = ("sittings", "responses", "events", "merged_sittings", "panel_sheets", "panel_scores")


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {t}")) for t in RESULT_TABLES}


@pytest.fixture
def package():
    return small_package()


def test_merge_copies_sittings_and_merging_twice_changes_nothing(tmp_path: Path, package) -> None:
    definition, banks = package
    one = terminal_db(str(tmp_path / "t1.db"), definition, banks, {"C-1": all_correct, "C-2": correct_on(3)})
    two = terminal_db(str(tmp_path / "t2.db"), definition, banks, {"C-3": correct_on(6)}, seed=40)
    conn = enrolled(admin.open_admin(str(tmp_path / "admin.db")))
    first = admin.merge_file(conn, str(tmp_path / "t1.db"), AT)
    admin.merge_file(conn, str(tmp_path / "t2.db"), AT)
    assert sorted(first.added) == sorted(one.values()) and not first.problems
    assert conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 3 * definition.item_count
    before = snapshot(conn)
    again = admin.merge_file(conn, str(tmp_path / "t1.db"), AT)
    assert again.added == () and sorted(again.unchanged) == sorted(one.values()) and not again.problems
    assert snapshot(conn) == before
    # The merged chains still verify in the admin database, and scores came across intact.
    for sitting_id in [*one.values(), *two.values()]:
        assert sittings.verify_sitting(conn, sitting_id) is None
    raw = dict(conn.execute("SELECT candidate_id, raw_score FROM sittings").fetchall())
    assert raw == {"C-1": 8, "C-2": 3, "C-3": 6}


def test_same_sitting_with_other_contents_is_a_conflict_and_keeps_the_merged_copy(tmp_path: Path, package) -> None:
    definition, banks = package
    path = str(tmp_path / "t1.db")
    terminal = connect(path, sittings.MIGRATIONS)
    sitting_id = add_sitting(terminal, definition, banks, "C-1", correct_on(2), submit=False)
    early = str(tmp_path / "early-copy.db")
    terminal.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(path, early)  # collected mid-sitting, e.g. after a crash
    record = sittings.load_sitting(terminal, sitting_id)
    recorder = sittings.SittingRecorder(terminal, record, sittings.Ledger(record.allowance, record.consumed))
    recorder.heartbeat()
    terminal.close()

    conn = enrolled(admin.open_admin(str(tmp_path / "admin.db")))
    assert admin.merge_file(conn, early, AT).added == (sitting_id,)
    merged_count = conn.execute("SELECT event_count FROM sittings").fetchone()[0]
    report = admin.merge_file(conn, path, AT)
    assert report.added == () and len(report.conflicts) == 1
    message = str(report.conflicts[0])
    assert message.startswith(f"{path}: sitting {sitting_id} (candidate C-1) differs from the merged copy")
    assert message.endswith("kept the merged copy")
    assert conn.execute("SELECT event_count FROM sittings").fetchone()[0] == merged_count


def test_tampered_event_is_reported_with_its_seq_and_not_imported(tmp_path: Path, package) -> None:
    definition, banks = package
    path = str(tmp_path / "t1.db")
    ids = terminal_db(path, definition, banks, {"C-1": all_correct, "C-2": correct_on(1)})
    raw = sqlite3.connect(path)
    raw.execute(
        'UPDATE events SET payload = \'{"position":0,"answer":"D"}\' WHERE sitting_id = ? AND seq = 3', (ids["C-1"],)
    )
    raw.commit()
    raw.close()
    conn = enrolled(admin.open_admin(str(tmp_path / "admin.db")))
    report = admin.merge_file(conn, path, AT)
    assert report.added == (ids["C-2"],)
    assert [str(p) for p in report.broken] == [
        f"{path}: sitting {ids['C-1']} event 3: contents do not match its hash (edited after the fact); not imported"
    ]
    assert conn.execute("SELECT COUNT(*) FROM events WHERE sitting_id = ?", (ids["C-1"],)).fetchone()[0] == 0


def test_response_edited_outside_the_exam_is_caught(tmp_path: Path, package) -> None:
    definition, banks = package
    path = str(tmp_path / "t1.db")
    ids = terminal_db(path, definition, banks, {"C-1": correct_on(2)})
    raw = sqlite3.connect(path)
    raw.execute("UPDATE responses SET answer = 'C' WHERE sitting_id = ? AND position = 5", (ids["C-1"],))
    raw.commit()
    raw.close()
    report = admin.merge_file(enrolled(admin.open_admin(str(tmp_path / "admin.db"))), path, AT)
    assert report.added == () and len(report.broken) == 1
    assert "field 'responses[5].answer' holds 'C' but event" in str(report.broken[0])


def test_edited_score_is_caught(tmp_path: Path, package) -> None:
    definition, banks = package
    path = str(tmp_path / "t1.db")
    terminal_db(path, definition, banks, {"C-1": correct_on(2)})
    raw = sqlite3.connect(path)
    raw.execute("UPDATE sittings SET raw_score = 8, passed = 1")
    raw.commit()
    raw.close()
    report = admin.merge_file(enrolled(admin.open_admin(str(tmp_path / "admin.db"))), path, AT)
    assert report.added == () and "field 'raw_score' holds 8 but event" in str(report.broken[0])


def test_panel_sheets_are_merged_through_import_scoresheets(tmp_path: Path) -> None:
    ann = panel_db(str(tmp_path / "ann.db"), "Ann", {"C-1": (3, 3), "C-2": (1, 2)})
    conn = enrolled(admin.open_admin(str(tmp_path / "admin.db")))
    report = admin.merge_file(conn, str(tmp_path / "ann.db"), AT)
    assert report.panel is not None and sorted(report.panel.added) == sorted(ann)
    assert admin.merge_file(conn, str(tmp_path / "ann.db"), AT).panel.unchanged  # type: ignore[union-attr]
    assert conn.execute("SELECT COUNT(*) FROM panel_scores").fetchone()[0] == 4
    assert [r[0] for r in conn.execute("SELECT sheets_added FROM merge_log ORDER BY merge_id")] == [2, 0]


def test_files_that_are_not_ccsoo_databases_get_one_clear_line(tmp_path: Path) -> None:
    conn = enrolled(admin.open_admin(str(tmp_path / "admin.db")))
    text = tmp_path / "notes.db"
    text.write_text("this is not a database at all\n" * 100)
    with pytest.raises(StoreError) as caught:
        admin.merge_file(conn, str(text), AT)
    assert [str(p) for p in caught.value.problems] == [f"{text}: is not a ccsoo-exam database (not an SQLite file)"]
    other = tmp_path / "other.db"
    plain = sqlite3.connect(other)
    plain.execute("CREATE TABLE x (y)")
    plain.close()
    with pytest.raises(StoreError, match="not a ccsoo-exam database"):
        admin.merge_file(conn, str(other), AT)
    with pytest.raises(StoreError, match="file not found"):
        admin.merge_file(conn, str(tmp_path / "missing.db"), AT)


def test_edited_scaled_score_is_caught(tmp_path: Path, package) -> None:
    definition, banks = package
    path = str(tmp_path / "t1.db")
    terminal_db(path, definition, banks, {"C-1": correct_on(2)})
    raw = sqlite3.connect(path)
    raw.execute("UPDATE sittings SET scaled_score = 650")  # an uncalibrated sitting given a scaled score
    raw.commit()
    raw.close()
    report = admin.merge_file(admin.open_admin(str(tmp_path / "admin.db")), path, AT)
    assert report.added == () and "field 'scaled_score' holds 650" in str(report.broken[0])
