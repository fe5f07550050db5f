"""Merge re-derives every stored field of a sitting from its chain: any sqlite3 edit is a named conflict.

Each case edits one column of a submitted sitting (or one of its responses) in the terminal's
database, as someone with file access and sqlite3 would, and merges. The sitting must not be
imported, and the problem must name the sitting and the field.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ccsoo_exam.form import assemble_form
from ccsoo_exam.ledger import Ledger
from ccsoo_exam.scoring import score
from ccsoo_exam.store import admin, sittings
from ccsoo_exam.store.database import connect
from tests.admin_data import enrolled, keyed, small_package, terminal_signer

AT = "2026-03-03T12:00:00Z"


@pytest.fixture(scope="module")
def terminal(tmp_path_factory) -> tuple[str, str]:
    """One submitted sitting that used every kind of event: the pristine terminal database."""
    definition, banks = small_package()
    path = str(tmp_path_factory.mktemp("audit") / "terminal.db")
    conn = connect(path, sittings.MIGRATIONS)
    moments = itertools.count()
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)

    def wall() -> datetime:
        return start + timedelta(seconds=next(moments))

    ticks = itertools.count(step=3)
    form = assemble_form(definition, banks, 7)
    sitting_id = sittings.create_sitting(
        conn,
        exam_id=definition.exam,
        exam_title=definition.title,
        package_fingerprint="f" * 64,
        candidate_id="C-1",
        candidate_name="Ada Lovelace",
        form=form,
        cut_score=definition.cut_score,
        base_seconds=definition.duration_minutes * 60,
        multiplier=1.25,
        proctor_pin="hmac-sha256$00$11",
        wall_clock=wall,
        signer=terminal_signer(),
    )
    record = sittings.load_sitting(conn, sitting_id)
    ledger = Ledger(record.allowance, 0.0, lambda: float(next(ticks)))
    recorder = sittings.SittingRecorder(conn, record, ledger, wall, terminal_signer())
    recorder.start()
    answers = {}
    for item in form.items[:6]:
        answers[item.position] = keyed(banks, item)
        recorder.answer(item.position, answers[item.position])
    recorder.flag(2, True)
    recorder.strike(6, frozenset("AB"))
    recorder.navigate(7)
    recorder.warning(30, frozenset({30}))
    recorder.hide_timer(True)
    recorder.pause("proctor")
    recorder.resume("proctor")
    recorder.extend(10, "fire alarm")
    recorder.submit(score(form, banks, answers, definition.cut_score), "candidate")
    conn.close()
    return path, sitting_id


SITTING_EDITS = [
    ("candidate_id", "'C-2'"),  # re-assigning a pass to someone else
    ("candidate_name", "'Someone Else'"),
    ("exam_id", "'another-exam'"),
    ("exam_title", "'Another exam'"),
    ("package_fingerprint", "'" + "e" * 64 + "'"),
    ("form_seed", "'8'"),
    ("form_digest", "'0000000000000000'"),
    ("item_count", "7"),
    ("cut_score", "1"),
    ("base_seconds", "base_seconds * 2"),
    ("multiplier", "2.0"),
    ("extension_seconds", "extension_seconds + 600"),
    ("consumed_seconds", "consumed_seconds - 100"),
    ("status", "'paused'"),
    ("position", "0"),
    ("timer_hidden", "0"),
    ("warnings_given", "''"),
    ("created_at", "'2026-01-01T00:00:00.000+00:00'"),
    ("started_at", "'2026-03-01T10:00:00.000+00:00'"),
    ("submitted_at", "'2026-03-01T12:00:00.000+00:00'"),
    ("submit_reason", "'time expired'"),
    ("raw_score", "8"),
    ("percent", "100.0"),
    ("passed", "1 - passed"),
    ("module_scores", '\'{"1": [4, 4], "2": [4, 4]}\''),
    ("updated_at", "'2026-03-02T00:00:00.000+00:00'"),
]
RESPONSE_EDITS = [
    ("bank_id", "'ccsoo-m2'", 0),
    ("module", "2", 0),
    ("item_id", "'T1-004'", 0),
    ("option_order", "'DCBA'", 0),
    ("answer", "'D'", 7),  # an unanswered question answered afterwards
    ("answer", "NULL", 0),
    ("flagged", "0", 2),
    ("struck", "''", 6),
]


def merge_edited(tmp_path: Path, terminal: tuple[str, str], sql: str) -> admin.MergeReport:
    path = str(tmp_path / "edited.db")
    shutil.copy(terminal[0], path)
    raw = sqlite3.connect(path)
    raw.execute(sql, (terminal[1],))
    raw.commit()
    raw.close()
    conn = enrolled(admin.open_admin(str(tmp_path / "admin.db")))
    try:
        return admin.merge_file(conn, path, AT)
    finally:
        conn.close()


def test_the_untouched_sitting_merges(tmp_path: Path, terminal) -> None:
    report = merge_edited(tmp_path, terminal, "UPDATE sittings SET exam_id = exam_id WHERE sitting_id = ?")
    assert report.added == (terminal[1],) and not report.problems


@pytest.mark.parametrize(("column", "value"), SITTING_EDITS, ids=[c for c, _ in SITTING_EDITS])
def test_every_sittings_field_edited_is_a_conflict_naming_the_field(tmp_path: Path, terminal, column, value) -> None:
    report = merge_edited(tmp_path, terminal, f"UPDATE sittings SET {column} = {value} WHERE sitting_id = ?")
    assert report.added == ()
    (problem,) = report.broken
    assert f"sitting {terminal[1]}" in str(problem)
    assert f"field '{column}'" in str(problem)


@pytest.mark.parametrize(
    ("column", "value", "position"), RESPONSE_EDITS, ids=[f"{c}-{p}" for c, _, p in RESPONSE_EDITS]
)
def test_every_response_field_edited_is_a_conflict(tmp_path: Path, terminal, column, value, position) -> None:
    report = merge_edited(
        tmp_path,
        terminal,
        f"UPDATE responses SET {column} = {value} WHERE sitting_id = ? AND position = {position}",
    )
    assert report.added == ()
    (problem,) = report.broken
    assert f"field 'responses[{position}].{column}'" in str(problem)


def test_a_deleted_response_row_is_a_conflict(tmp_path: Path, terminal) -> None:
    report = merge_edited(tmp_path, terminal, "DELETE FROM responses WHERE sitting_id = ? AND position = 3")
    assert report.added == () and "field 'responses' holds '7 rows'" in str(report.broken[0])


def test_the_proctor_pin_hash_is_never_copied_into_the_admin_database(tmp_path: Path, terminal) -> None:
    merge_edited(tmp_path, terminal, "UPDATE sittings SET exam_id = exam_id WHERE sitting_id = ?")
    conn = sqlite3.connect(tmp_path / "admin.db")
    assert conn.execute("SELECT proctor_pin FROM sittings").fetchall() == [("",)]


# -- panel scoresheets: stored content against the change log, the seal and the rubric bytes ----------


@pytest.fixture
def panel(tmp_path: Path):
    from ccsoo_exam.rubric import rubric_from_bytes
    from ccsoo_exam.store import scoresheets
    from tests.test_rubric import MINI

    rubric = rubric_from_bytes(MINI.encode(), "mini.yaml")
    path = str(tmp_path / "panel.db")
    conn = scoresheets.open_store(path)
    sheet = scoresheets.open_sheet(conn, rubric, "C-1", "Ann", "t0")
    scoresheets.declare_conflict(conn, rubric, sheet.sheet_id, False, "", "t0")
    scoresheets.set_level(conn, rubric, sheet.sheet_id, "a", 2, "t1")
    scoresheets.add_note(conn, rubric, sheet.sheet_id, "a", "clear on cost", "t2")
    scoresheets.set_level(conn, rubric, sheet.sheet_id, "b", 3, "t3")
    scoresheets.seal(conn, rubric, sheet.sheet_id, "t4", signer=terminal_signer())
    conn.close()
    return path, sheet.sheet_id


def _reseal(conn: sqlite3.Connection, sheet_id: str) -> None:
    """What an attacker does after an edit: recompute the seal's plain SHA-256 so verify_seal passes."""
    from ccsoo_exam.scoresheet import seal_hash
    from ccsoo_exam.store import scoresheets

    digest = seal_hash(scoresheets.load_sheet(conn, sheet_id))
    conn.execute("UPDATE panel_sheets SET seal_hash = ? WHERE sheet_id = ?", (digest, sheet_id))


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE panel_scores SET level = 4 WHERE criterion_id = 'a'", "are not those its change log records"),
        ("UPDATE panel_notes SET text = 'rambling'", "its notes are not those its change log records"),
        ("UPDATE panel_sheets SET sealed_at = 't9'", "sealed_at 't9' is not the time its seal change"),
        ("UPDATE panel_changes SET text = 'x' WHERE kind = 'seal'", "its seal hash is not the one"),
        (
            "UPDATE panel_rubrics SET source = CAST(REPLACE(CAST(source AS TEXT), 'weight: 2', 'weight: 9') AS BLOB)",
            "no longer hashes to its digest",
        ),
    ],
    ids=["level", "note", "sealed_at", "seal-log", "rubric-bytes"],
)
def test_an_edited_and_resealed_scoresheet_is_refused_at_import_and_merge(tmp_path: Path, panel, sql, message) -> None:
    from ccsoo_exam.store import scoresheets

    path, sheet_id = panel
    raw = sqlite3.connect(path)
    raw.row_factory = sqlite3.Row
    raw.execute(sql)
    _reseal(raw, sheet_id)
    raw.commit()
    raw.close()
    source = scoresheets.open_store(path)
    target = enrolled(admin.open_admin(str(tmp_path / "merged-panel.db")))
    report = scoresheets.import_scoresheets(source, target)
    assert report.added == () and message in str(report.skipped[0])
    merged = admin.merge_file(enrolled(admin.open_admin(str(tmp_path / "admin.db"))), path, AT)
    assert merged.panel is not None and merged.panel.added == () and message in str(merged.panel.skipped[0])


def test_a_consistently_rewritten_sheet_fails_the_machines_seal_signature(tmp_path: Path, panel) -> None:
    """The attacks of issue 11: a panelist renamed, a level raised in the scores *and* the log, seal recomputed."""
    from ccsoo_exam.store import scoresheets

    path, sheet_id = panel
    for edits in (
        ["UPDATE panel_sheets SET panelist = 'Someone Who Never Scored'"],
        [
            "UPDATE panel_scores SET level = 5 WHERE criterion_id = 'a'",
            "UPDATE panel_changes SET new_level = 5 WHERE kind = 'level' AND criterion_id = 'a'",
        ],
    ):
        copy = str(tmp_path / "rewritten.db")
        shutil.copy(path, copy)
        raw = sqlite3.connect(copy)
        raw.row_factory = sqlite3.Row
        for edit in edits:
            raw.execute(edit)
        _reseal(raw, sheet_id)
        raw.execute(
            "UPDATE panel_changes SET text = (SELECT seal_hash FROM panel_sheets) WHERE kind = 'seal'"
        )  # the log agrees with the new seal too
        raw.commit()
        raw.close()
        source = scoresheets.open_store(copy)
        report = scoresheets.import_scoresheets(source, enrolled(admin.open_admin(str(tmp_path / "t.db"))))
        assert report.added == ()
        assert "seal signature that does not verify" in str(report.skipped[0])


def test_unsigned_and_unenrolled_seals_are_refused(tmp_path: Path, panel) -> None:
    from ccsoo_exam.store import scoresheets

    path, _sheet_id = panel
    stranger = scoresheets.import_scoresheets(
        scoresheets.open_store(path), admin.open_admin(str(tmp_path / "not-enrolled.db"))
    )
    assert stranger.added == () and "which is not enrolled here" in str(stranger.skipped[0])
    raw = sqlite3.connect(path)
    raw.execute("DELETE FROM panel_seal_signatures")
    raw.commit()
    raw.close()
    unsigned = scoresheets.import_scoresheets(
        scoresheets.open_store(path), enrolled(admin.open_admin(str(tmp_path / "t.db")))
    )
    assert unsigned.added == () and "is not signed by a panelist machine" in str(unsigned.skipped[0])
