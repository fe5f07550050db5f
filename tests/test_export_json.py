"""JSON export built by SQLite: the same objects, in the same order, as the Python writer, for every table."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ccsoo_exam.store import export
from tests.test_export import admin_db  # noqa: F401  (the fixture)


def python_json(conn, table: str) -> list[dict]:
    out = io.StringIO()
    export.write_json(out, table, export.batches(conn, table))
    return json.loads(out.getvalue())


def sqlite_json(conn, table: str) -> tuple[int, str]:
    out = io.StringIO()
    count = export.export_json(conn, out, table)
    return count, out.getvalue()


@pytest.mark.parametrize("table", list(export.TABLES))
def test_every_table_equals_the_python_writer(admin_db, table: str) -> None:  # noqa: F811
    conn = admin_db[0]
    if table == "decisions":
        conn.execute(
            "CREATE TABLE IF NOT EXISTS decisions (candidate_id TEXT, name TEXT, route TEXT, eligibility TEXT, "
            "eligibility_reason TEXT, sitting_id TEXT, exam_raw INTEGER, exam_total INTEGER, exam_passed INTEGER, "
            "panel_rubric TEXT, panel_final REAL, panel_decision TEXT, decision TEXT, decision_reason TEXT, "
            "decided_at TEXT)"
        )
        conn.execute(
            "INSERT INTO decisions VALUES ('C-1', 'Ada', 'exam', 'eligible', 'ok', 's', 6, 8, 1, NULL, 72.5, NULL, "
            "'certified', 'passed', 'now')"
        )
    count, text = sqlite_json(conn, table)
    rows = json.loads(text)
    assert rows == python_json(conn, table)
    assert count == len(rows)
    if rows:
        assert tuple(rows[0]) == export.TABLES[table].columns
        assert text.startswith("[\n{") and text.endswith("}\n]\n") and text.count("\n") == len(rows) + 2
    else:
        assert text == "[]\n"


def test_odd_values_stay_valid_json_and_unicode_stays_readable(admin_db) -> None:  # noqa: F811
    conn = admin_db[0]
    odd = 'A,"B"\\\n\t\x01 ünï 名'
    conn.execute("UPDATE responses SET struck = ? WHERE position = 1", (odd,))
    conn.execute("UPDATE candidates SET name = ?", (odd,))
    for table in ("responses", "candidates"):
        _count, text = sqlite_json(conn, table)
        assert json.loads(text) == python_json(conn, table)
        assert "ünï 名" in text  # not \\u-escaped, like the Python writer (ensure_ascii=False)
    assert [r["struck"] for r in json.loads(sqlite_json(conn, "responses")[1]) if r["position"] == 1] == [odd] * 2


def test_progress_is_told_every_row(admin_db) -> None:  # noqa: F811
    conn = admin_db[0]
    told: list[int] = []
    for table in ("responses", "sittings", "events"):
        told.clear()
        count = export.export_json(conn, io.StringIO(), table, progress=told.append)
        assert sum(told) == count == export.count_rows(conn, table)
        told.clear()
        assert export.export_csv(conn, io.StringIO(), table, progress=told.append) == sum(told)


def test_command_writes_json_through_the_fast_path(admin_db, tmp_path: Path) -> None:  # noqa: F811
    from ccsoo_exam.cli import main

    conn = admin_db[0]
    db = conn.execute("PRAGMA database_list").fetchone()[2]
    target = tmp_path / "r.json"
    assert main(["results", "export", "--db", db, "--format", "json", "-o", str(target)]) == 0
    assert json.loads(target.read_text()) == python_json(conn, "responses")


def test_a_sitting_grouped_out_of_order_is_fetched_again_in_order(admin_db, monkeypatch) -> None:  # noqa: F811
    # SQLite does not promise group_concat's order; simulate a plan that reverses it.
    reversed_groups = """SELECT group_concat(o, ',' || char(10)), group_concat(p), count(*), sid FROM (
        SELECT {objects} AS o, r.position AS p, r.sitting_id AS sid
        FROM responses r JOIN sittings s ON s.sitting_id = r.sitting_id ORDER BY r.sitting_id, r.position DESC)
        GROUP BY sid ORDER BY sid"""
    monkeypatch.setattr(export, "_RESPONSE_OBJECTS", reversed_groups)
    conn = admin_db[0]
    count, text = sqlite_json(conn, "responses")
    rows = json.loads(text)
    assert rows == python_json(conn, "responses") and count == 16
    assert [r["position"] for r in rows[:8]] == list(range(8))
