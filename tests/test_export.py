"""Exports: stable documented columns, authored letters, valid JSON, read-only."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from ccsoo_exam.errors import StoreError
from ccsoo_exam.form import assemble_form
from ccsoo_exam.roster import parse_roster
from ccsoo_exam.store import admin, export
from ccsoo_exam.store.database import connect
from tests.admin_data import correct_on, enrolled, panel_db, small_package, terminal_db

# The documented column order (docs/admin.md); changing it breaks administrators' scripts.
RESPONSE_COLUMNS = (
    "sitting_id",
    "candidate_id",
    "exam_id",
    "position",
    "module",
    "bank_id",
    "item_id",
    "answer",
    "answer_shown",
    "option_order",
    "flagged",
    "struck",
    "answered_at",
)


@pytest.fixture
def admin_db(tmp_path: Path):
    definition, banks = small_package()
    ids = terminal_db(str(tmp_path / "t.db"), definition, banks, {"C-1": correct_on(6), "C-2": correct_on(3)})
    panel_db(str(tmp_path / "p.db"), "Ann", {"C-7": (3, 3)})
    conn = enrolled(admin.open_admin(str(tmp_path / "admin.db")))
    for name in ("t.db", "p.db"):
        admin.merge_file(conn, str(tmp_path / name), "2026-03-03T12:00:00Z")
    admin.replace_roster(
        conn, parse_roster("candidate_id,name,degree,years_senior_management,route\nC-1,Ada,MBA,11,exam\n", "r.csv")
    )
    return conn, definition, banks, ids


def as_csv(conn, table: str) -> list[dict[str, str]]:
    out = io.StringIO()
    export.write_csv(out, table, export.batches(conn, table))
    out.seek(0)
    return list(csv.DictReader(out))


def test_columns_are_the_documented_ones() -> None:
    assert export.TABLES["responses"].columns == RESPONSE_COLUMNS
    sittings = export.TABLES["sittings"].columns
    assert sittings[:3] == ("sitting_id", "candidate_id", "candidate_name")
    assert sittings[-11:-1] == tuple(f"module{m}_{p}" for m in range(1, 6) for p in ("correct", "items"))
    assert sittings[-1] == "scaled_score"  # appended: scripts reading by position keep working
    docs = (Path(__file__).resolve().parent.parent / "docs" / "admin.md").read_text()
    for table in export.TABLES.values():
        for column in table.columns:
            assert f"`{column}`" in docs, f"{table.name}.{column} is not documented in docs/admin.md"


def test_responses_carry_authored_and_shown_letters(admin_db) -> None:
    conn, definition, banks, ids = admin_db
    rows = as_csv(conn, "responses")
    assert len(rows) == 2 * definition.item_count and tuple(rows[0]) == RESPONSE_COLUMNS
    forms = {sid: assemble_form(definition, banks, 7 + n) for n, sid in enumerate(ids.values())}
    for row in rows:
        item = forms[row["sitting_id"]].items[int(row["position"])]
        key = banks[item.bank].item(item.item_id).key
        expected = (
            key if int(row["position"]) < (6 if row["candidate_id"] == "C-1" else 3) else ("B" if key == "A" else "A")
        )
        assert row["answer"] == expected  # authored, as the bank has it
        assert row["answer_shown"] == item.shown(expected)  # the letter on the candidate's screen
        assert row["option_order"] == "".join(item.option_order)


def test_sittings_export_scores_modules_and_receipt(admin_db) -> None:
    conn = admin_db[0]
    rows = {r["candidate_id"]: r for r in as_csv(conn, "sittings")}
    assert rows["C-1"]["raw"] == rows["C-1"]["original_raw"] == "6" and rows["C-1"]["total"] == "8"
    assert rows["C-1"]["module1_correct"] == "4" and rows["C-1"]["module2_correct"] == "2"
    assert rows["C-1"]["module2_items"] == "4" and rows["C-1"]["module3_items"] == ""
    assert len(rows["C-2"]["receipt_code"]) == 9 and rows["C-2"]["receipt_code"][4] == "-"


def test_json_is_valid_and_matches_the_csv(admin_db) -> None:
    conn = admin_db[0]
    for table in ("responses", "sittings", "candidates", "panel", "moderations"):
        out = io.StringIO()
        count = export.write_json(out, table, export.batches(conn, table))
        data = json.loads(out.getvalue())
        assert len(data) == count == len(as_csv(conn, table))
        if data:
            assert tuple(data[0]) == export.TABLES[table].columns
    panel = as_csv(conn, "panel")
    assert [(r["candidate_id"], r["criterion_id"], r["level"]) for r in panel] == [("C-7", "a", "3"), ("C-7", "b", "3")]


def test_a_terminal_database_exports_read_only(tmp_path: Path) -> None:
    definition, banks = small_package()
    path = str(tmp_path / "t.db")
    terminal_db(path, definition, banks, {"C-1": correct_on(2)})
    before = Path(path).read_bytes()
    conn = connect(path, readonly=True)
    assert as_csv(conn, "sittings")[0]["raw"] == "2"
    with pytest.raises(StoreError, match="has no decisions table to export; run 'admin decisions' first"):
        list(export.batches(conn, "decisions", path))
    conn.close()
    assert Path(path).read_bytes() == before


def test_fast_responses_csv_equals_csv_writer_even_for_odd_values(admin_db) -> None:
    conn = admin_db[0]
    fast = io.StringIO()
    assert export.export_csv(conn, fast, "responses") == 16
    slow = io.StringIO()
    export.write_csv(slow, "responses", export.batches(conn, "responses"))
    assert fast.getvalue() == slow.getvalue()
    # Values the exam never writes (a comma, a quote, a line break) still come out as valid CSV.
    conn.execute("""UPDATE responses SET struck = 'A,"B"' || char(10) WHERE position = 1""")
    odd, reference = io.StringIO(), io.StringIO()
    export.export_csv(conn, odd, "responses")
    export.write_csv(reference, "responses", export.batches(conn, "responses"))
    assert odd.getvalue() == reference.getvalue()
    assert [r["struck"] for r in csv.DictReader(io.StringIO(odd.getvalue())) if r["position"] == "1"] == ['A,"B"\n'] * 2


def test_exported_event_chain_reverifies_and_reveals_tampering(admin_db) -> None:
    from dataclasses import replace

    from ccsoo_exam.chain import Event, first_break

    conn = admin_db[0]
    out = io.StringIO()
    export.write_json(out, "events", export.batches(conn, "events"))
    rows = json.loads(out.getvalue())
    by_sitting: dict[str, list[Event]] = {}
    for r in rows:
        event = Event(
            r["seq"], r["kind"], r["payload"], r["wall_time"], r["consumed_seconds"], r["prev_hash"], r["hash"]
        )
        by_sitting.setdefault(r["sitting_id"], []).append(event)
    assert len(by_sitting) == 2
    heads = {r["sitting_id"]: r["chain_head"] for r in as_csv(conn, "sittings")}
    for sitting, events in by_sitting.items():
        assert first_break(events) is None
        assert events[-1].hash == heads[sitting]
        answer = next(i for i, e in enumerate(events) if e.kind == "answer")
        edited = [
            *events[:answer],
            replace(events[answer], payload='{"answer":"A","position":0}'),
            *events[answer + 1 :],
        ]
        if edited[answer].payload != events[answer].payload:
            assert first_break(edited) == (events[answer].seq, "contents do not match its hash (edited after the fact)")
