"""The roster CSV: every bad row at its line, all or nothing, eligibility per row."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccsoo_exam.eligibility import ELIGIBLE, NOT_ELIGIBLE, REVIEW
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.roster import parse_roster
from ccsoo_exam.store import admin

HEADER = "candidate_id,name,degree,years_senior_management,route,accommodations\n"
GOOD = HEADER + (
    "C-1,Ada Lovelace,MBA,12,exam,extra time 25%\n"
    "C-2,Grace Hopper,Bachelor,16,panel,\n"
    'C-3,"Smith, Jo",BSc,8,exam,large print\n'
)


def problems(text: str) -> list[str]:
    with pytest.raises(CcsooError) as caught:
        parse_roster(text, "r.csv")
    return [str(p) for p in caught.value.problems]


def test_good_roster_with_eligibility_and_extra_time() -> None:
    entries = parse_roster(GOOD, "r.csv")
    assert [(e.candidate_id, e.eligibility.status) for e in entries] == [
        ("C-1", ELIGIBLE),
        ("C-2", REVIEW),
        ("C-3", NOT_ELIGIBLE),
    ]
    assert entries[0].degree == "master" and entries[0].extra_time_percent == 25
    assert entries[2].name == "Smith, Jo" and entries[2].extra_time_percent == 0
    assert [e.line for e in entries] == [2, 3, 4]


def test_bad_rows_are_reported_with_their_line_numbers() -> None:
    text = HEADER + (
        "C-1,Ada,MBA,12,exam,\n"
        ",No Id,MBA,12,exam,\n"
        "C-3,Bob,Diploma of Arts,12,exam,\n"
        "C-4,Cy,MBA,twelve,exam,\n"
        "C-5,Di,MBA,12,online,\n"
        "C-1,Ed,MBA,12,exam,\n"
        "C-7,Fi,MBA,12\n"
        "C-8,Gu,MBA,12,exam,extra time 500%\n"
    )
    found = problems(text)
    assert [p.split(":")[1] for p in found] == ["3", "4", "5", "6", "7", "8", "9"]
    assert "candidate_id is empty" in found[0]
    assert "degree 'Diploma of Arts' is not recognised" in found[1]
    assert "whole number of years, not 'twelve'" in found[2]
    assert "route must be 'panel'" in found[3]
    assert "repeats line 2" in found[4]
    assert "has 4 fields but the header has 6" in found[5]
    assert "extra time 500%" in found[6]


def test_header_problems() -> None:
    assert problems("candidate_id,name,degre,years_senior_management,route\nC-1,A,MBA,10,exam\n") == [
        "r.csv:1: unknown column 'degre'; did you mean 'degree'?",
        "r.csv:1: the header lacks the column(s) degree",
    ]
    assert problems("") == [
        "r.csv: the roster is empty; start with the header candidate_id,name,degree,years_senior_management,route"
    ]
    assert problems(HEADER) == ["r.csv: the roster has a header but no candidates"]


def test_a_quoted_field_over_two_lines_reports_the_row_start() -> None:
    text = HEADER + 'C-1,"Ada\nLovelace",MBA,12,exam,\nC-2,Bo,MBA,x,exam,\n'
    assert problems(text)[0].startswith("r.csv:4:")


def test_nothing_is_imported_when_any_row_is_bad(tmp_path: Path) -> None:
    conn = admin.open_admin(str(tmp_path / "admin.db"))
    admin.replace_roster(conn, parse_roster(GOOD, "r.csv"))
    with pytest.raises(CcsooError):
        admin.replace_roster(conn, parse_roster(GOOD + "C-9,Zed,MBA,-1,exam,\n", "r.csv"))
    assert [r["candidate_id"] for r in admin.roster_rows(conn)] == ["C-1", "C-2", "C-3"]


def test_install_copies_the_roster_for_check_in(tmp_path: Path) -> None:
    from ccsoo_exam.store.checkin_roster import read_roster
    from ccsoo_exam.store.database import connect

    conn = admin.open_admin(str(tmp_path / "admin.db"))
    admin.replace_roster(conn, parse_roster(GOOD, "r.csv"))
    assert admin.install_roster(conn, str(tmp_path / "terminal.db")) == 3
    terminal = connect(str(tmp_path / "terminal.db"))
    assert {c: (e.name, e.multiplier) for c, e in read_roster(terminal).items()} == {
        "C-1": ("Ada Lovelace", 1.25),
        "C-2": ("Grace Hopper", 1.0),
        "C-3": ("Smith, Jo", 1.0),
    }
