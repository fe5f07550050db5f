"""Datasette metadata: every table and column of every schema described, in the file Datasette reads."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ccsoo_exam.cli import main
from ccsoo_exam.store import admin, catalog, scoresheets, sittings
from ccsoo_exam.store.database import connect


def test_every_table_and_column_of_every_schema_is_described(tmp_path: Path) -> None:
    for name, migrations in (
        ("admin", admin.MIGRATIONS),
        ("terminal", sittings.MIGRATIONS),
        ("panel", scoresheets.MIGRATIONS),
        ("roster", admin.ROSTER_MIGRATIONS),
    ):
        conn = connect(str(tmp_path / f"{name}.db"), migrations)
        tables = catalog.schema(conn)
        conn.close()
        assert tables, name
        assert catalog.undescribed(tables) == [], f"{name} schema: describe these in ccsoo_exam/store/catalog.py"
    for table, (text, columns) in catalog.TABLES.items():
        assert text.strip() and all(d.strip() for d in columns.values()), table


def test_undescribed_finds_what_is_missing() -> None:
    assert catalog.undescribed({"sittings": ["sitting_id", "new_column"], "brand_new": ["x"]}) == [
        "sittings.new_column",
        "brand_new",
    ]


def test_command_writes_metadata_datasette_reads(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "results-2026.db")
    admin.open_admin(db).close()
    target = tmp_path / "metadata.json"
    assert main(["results", "metadata", "--db", db, "-o", str(target)]) == 0
    metadata = json.loads(target.read_text())
    tables = metadata["databases"]["results-2026"]["tables"]
    conn = sqlite3.connect(db)
    schema = catalog.schema(conn)
    conn.close()
    assert set(tables) == set(schema) and "current_scores" in tables and "responses" in tables
    for table, columns in schema.items():
        assert list(tables[table]["columns"]) == columns
        assert tables[table]["description"] == catalog.TABLES[table][0]
    assert "AUTHORED" in tables["responses"]["columns"]["answer"]
    assert tables["candidates"]["label_column"] == "name"


def test_a_foreign_table_is_flagged_and_bad_input_gets_one_line(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "a.db")
    conn = admin.open_admin(db)
    conn.execute("CREATE TABLE notes_by_hand (x TEXT)")
    conn.close()
    capsys.readouterr()
    assert main(["results", "metadata", "--db", db]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["databases"]["a"]["tables"]["notes_by_hand"]["columns"]["x"].startswith("(not described")
    assert out.err == f"{db}: notes_by_hand is not described by this version of ccsoo-exam\n"
    missing = str(tmp_path / "none.db")
    assert main(["results", "metadata", "--db", missing]) == 2
    assert capsys.readouterr().err == f"{missing}: database not found; check the path\n"
