"""The admin and results commands through main([...]): exit statuses, messages, help text."""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
from pathlib import Path

import pytest

from ccsoo_exam import release, vault
from ccsoo_exam.cli import build_parser, main
from ccsoo_exam.store import admin
from tests.admin_data import all_correct, correct_on, enrolled, enrolled_admin, small_package, terminal_db
from tests.conftest import DEMO_KEY, bank_yaml

EXAM_YAML = """\
exam: ccsoo-test
title: CCSOO test exam
duration_minutes: 180
item_count: 8
blueprint:
  - {bank: ccsoo-m1, module: 1, file: m1.bank, items: 4}
  - {bank: ccsoo-m2, module: 2, file: m2.bank, items: 4}
cut_score: 5
time_warnings: [30]
navigation: free
shuffle_options: true
show_score: true
"""
ROSTER = (
    "candidate_id,name,degree,years_senior_management,route,accommodations\n"
    "C-1,Ada,MBA,12,exam,extra time 25%\n"
    "C-2,Bo,PhD,20,exam,\n"
    "C-3,Cy,Bachelor,16,panel,\n"
)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """The small two-bank package, encrypted with the demo key (one KDF run for the module)."""
    folder = tmp_path_factory.mktemp("package")
    cache = vault.KeyCache(DEMO_KEY)
    params = vault.new_params()
    released = []
    for m in (1, 2):
        sealed = vault.encrypt(bank_yaml(f"ccsoo-m{m}", m, 4).encode(), DEMO_KEY, params, cache)
        (folder / f"m{m}.bank").write_bytes(sealed)
        released.append(release.ReleasedBank(f"m{m}.bank", f"ccsoo-m{m}", m, release.sealed_digest(sealed)))
    manifest = release.Manifest("ccsoo-test", "test", tuple(released))
    (folder / release.MANIFEST_NAME).write_bytes(release.seal_manifest(manifest, DEMO_KEY, params, cache))
    (folder / "exam.yaml").write_text(EXAM_YAML)
    (folder / "key.txt").write_text(DEMO_KEY)
    return folder


@pytest.fixture
def merged(tmp_path: Path) -> str:
    definition, banks = small_package()
    terminal_db(str(tmp_path / "t1.db"), definition, banks, {"C-1": all_correct, "C-2": correct_on(5)})
    terminal_db(str(tmp_path / "t2.db"), definition, banks, {"C-4": correct_on(2)}, seed=30)
    db = str(tmp_path / "admin.db")
    enrolled(admin.open_admin(db)).close()
    assert main(["admin", "merge", str(tmp_path / "t1.db"), str(tmp_path / "t2.db"), "--into", db]) == 0
    return db


def test_every_new_command_has_help_text() -> None:
    parser = build_parser()
    found = []

    def walk(p: argparse.ArgumentParser, path: list[str]) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help for a in action._choices_actions}
                for name, sub in action.choices.items():
                    if path[:1] in (["admin"], ["results"]) or name in ("admin", "results"):
                        assert helps.get(name), f"{' '.join([*path, name])} has no help"
                        assert sub.description, f"{' '.join([*path, name])} has no description"
                        for arg in sub._actions:
                            if isinstance(arg, argparse._SubParsersAction):
                                continue
                            assert arg.help, f"{' '.join([*path, name])} {arg.dest} has no help"
                        found.append(" ".join([*path, name]))
                    walk(sub, [*path, name])

    walk(parser, [])
    assert {
        "admin merge",
        "admin roster import",
        "admin roster install",
        "admin roster show",
        "admin items",
        "admin rescore",
        "admin decisions",
        "admin enrol-terminal",
        "admin verify-receipts",
        "admin resume-code",
        "results export",
    } <= set(found)


def test_merge_twice_tampered_and_foreign_files(tmp_path: Path, merged: str, capsys) -> None:
    capsys.readouterr()
    assert main(["admin", "merge", str(tmp_path / "t1.db"), "--into", merged]) == 0
    assert "0 sittings added, 2 already merged" in capsys.readouterr().out
    definition, banks = small_package()
    ids = terminal_db(str(tmp_path / "t3.db"), definition, banks, {"C-5": all_correct}, seed=50)
    raw = sqlite3.connect(tmp_path / "t3.db")
    raw.execute("DELETE FROM events WHERE seq = 2")
    raw.commit()
    raw.close()
    (tmp_path / "junk.db").write_text("hello")
    status = main(["admin", "merge", str(tmp_path / "t3.db"), str(tmp_path / "junk.db"), "--into", merged])
    err = capsys.readouterr().err.splitlines()
    assert status == 2  # an unreadable file outranks a broken sitting
    assert (
        f"{tmp_path / 't3.db'}: sitting {ids['C-5']} event 3: expected event 2, found 3 "
        "(events missing or reordered); not imported" in err
    )
    assert f"{tmp_path / 'junk.db'}: is not a ccsoo-exam database (not an SQLite file)" in err
    assert main(["admin", "merge", str(tmp_path / "t3.db"), "--into", merged]) == 1
    assert main(["admin", "merge", merged, "--into", merged]) == 2


def test_roster_import_all_or_nothing_then_install_and_show(tmp_path: Path, merged: str, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(ROSTER + "C-9,Zed,MBA,abc,exam,\n")
    assert main(["admin", "roster", "import", str(bad), "--db", merged]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:5: years_senior_management must be a whole number" in err and "nothing imported" in err
    assert admin.roster_rows(admin.open_admin(merged)) == []
    good = tmp_path / "good.csv"
    good.write_text(ROSTER)
    assert main(["admin", "roster", "import", str(good), "--db", merged]) == 0
    assert "1 case-by-case review, 2 eligible" in capsys.readouterr().out
    terminal = str(tmp_path / "fresh-terminal.db")
    assert main(["admin", "roster", "install", "--db", terminal, "--from", merged]) == 0
    assert main(["admin", "roster", "show", "--db", terminal]) == 0
    assert "extra time 25%" in capsys.readouterr().out
    assert main(["admin", "roster", "install", "--db", terminal, "--from", str(tmp_path / "nope.db")]) == 2


def test_items_text_and_json(package: Path, merged: str, capsys) -> None:
    key = ["--key-file", str(package / "key.txt"), "--exam", str(package / "exam.yaml")]
    assert main(["admin", "items", "--db", merged, *key]) == 0
    out = capsys.readouterr().out
    assert "KR-20" in out and "<- cut" in out and "ccsoo-m1/T1-001" in out
    assert main(["admin", "items", "--db", merged, "--format", "json", *key]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["candidates"] == 3 and len(data["items"]) == 8
    assert sum(b["count"] for b in data["histogram"]) == 3


def test_rescore_dry_run_changes_nothing_and_apply_records(package: Path, merged: str, capsys) -> None:
    key = ["--key-file", str(package / "key.txt"), "--exam", str(package / "exam.yaml")]
    conn = admin.open_admin(merged)
    tables = ("sittings", "rescorings", "rescored_scores", "decisions")

    def state() -> list:
        return [conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables]

    before = [[tuple(r) for r in t] for t in state()]
    assert main(["admin", "rescore", "--db", merged, "--item", "T1-001", "--drop", *key]) == 0
    out = capsys.readouterr().out
    assert "DRY RUN" in out and "Pass/fail changes" in out and "within one sem" in out.lower()
    assert "…" not in out and all(len(line) <= 80 for line in out.splitlines())
    assert [[tuple(r) for r in t] for t in state()] == before
    assert main(["admin", "rescore", "--db", merged, "--item", "T1-001", "--drop", "--apply", *key]) == 2
    assert "--reason and --by" in capsys.readouterr().err
    assert (
        main(
            [
                "admin",
                "rescore",
                "--db",
                merged,
                "--item",
                "T1-001",
                "--drop",
                "--apply",
                "--reason",
                "ambiguous stem",
                "--by",
                "Chair",
                *key,
            ]
        )
        == 0
    )
    assert "recorded rescoring #1 by Chair" in capsys.readouterr().out
    row = conn.execute("SELECT applied_by, reason, applied_at, sittings FROM rescorings").fetchone()
    assert row[:2] == ("Chair", "ambiguous stem") and row[2].endswith("Z") and row[3] == 3
    assert main(["admin", "rescore", "--db", merged, "--item", "NOPE", "--accept", "B", *key]) == 2


def test_decisions_and_exports(tmp_path: Path, merged: str, capsys) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(ROSTER)
    assert main(["admin", "roster", "import", str(roster), "--db", merged]) == 0
    assert main(["admin", "decisions", "--db", merged]) == 0
    out = capsys.readouterr().out
    assert "certified" in out and "pending review" in out
    target = tmp_path / "decisions.csv"
    assert main(["admin", "decisions", "--db", merged, "--format", "csv", "-o", str(target)]) == 0
    rows = {r["candidate_id"]: r for r in csv.DictReader(target.open())}
    assert rows["C-1"]["decision"] == "certified" and rows["C-2"]["decision"] == "certified"
    assert rows["C-3"]["decision"] == "pending review" and rows["C-4"]["decision"] == "pending"
    responses = tmp_path / "responses.json"
    assert main(["results", "export", "--db", merged, "--format", "json", "-o", str(responses)]) == 0
    assert len(json.loads(responses.read_text())) == 24
    assert main(["results", "export", "--db", merged, "--table", "decisions"]) == 0
    assert capsys.readouterr().out.startswith("candidate_id,name,route,")
    assert main(["results", "export", "--db", str(tmp_path / "missing.db")]) == 2
    assert "database not found" in capsys.readouterr().err


# --- issue 13: 80 columns, case-by-case decisions, exit codes --------------------------------


def assert_fits_80(text: str) -> None:
    assert "…" not in text and "..." not in text
    for line in text.splitlines():
        assert len(line) <= 80, line


def test_items_at_80_columns_show_every_share_and_flag(package: Path, merged: str, capsys) -> None:
    key = ["--key-file", str(package / "key.txt"), "--exam", str(package / "exam.yaml")]
    assert main(["admin", "items", "--db", merged, "--format", "json", *key]) == 0
    data = json.loads(capsys.readouterr().out)
    assert main(["admin", "items", "--db", merged, *key]) == 0
    out = capsys.readouterr().out
    assert_fits_80(out)
    flags = [(item["item"], flag) for item in data["items"] for flag in item["flags"]]
    assert len(flags) >= 8
    lines = out.splitlines()
    for item in data["items"]:
        row = next(i for i, line in enumerate(lines) if line.startswith(item["item"] + " "))
        shares = [f"{100 * item['shares'][x]:.0f}%" for x in ("A", "B", "C", "D", "-")]
        assert lines[row].split()[-5:] == shares, lines[row]
        # Each flag on a line of its own, under its item, before the next item's row.
        block = []
        for line in lines[row + 1 :]:
            if not line.startswith("    "):
                break
            block.append(line.strip())
        assert [b.removeprefix("! ") for b in block] == item["flags"]


def test_layouts_wrap_long_text_and_show_it_literally() -> None:
    from types import SimpleNamespace

    from ccsoo_exam.cli import layout

    long_flag = "distractor C chosen more than the key (a miskey or a second defensible answer) " * 2
    row = SimpleNamespace(
        item="bank-with-a-rather-long-name/ITEM-0000000000000000000001",
        module=3,
        key="C",
        n=160,
        p_value=0.31,
        item_total=-0.04,
        shares={"A": 0.1, "B": 0.2, "C": 0.31, "D": 0.39, "-": 0.0},
        flags=("negative discrimination", long_flag.strip()),
    )
    text = "\n".join(layout.items_lines([row] * 3))
    assert_fits_80(text)
    assert text.count("negative discrimination") == 3 and text.count("39%") == 3
    assert " ".join(text.split()).count(" ".join(long_flag.split())) == 3
    roster = [
        {
            "candidate_id": "C-9",
            "name": "[bold]Eve[/bold] \x1b[31mred",
            "degree": "bachelor",
            "years_senior_management": 16,
            "route": "panel",
            "accommodations": "extra time 25%; large print; a reader; " * 3,
            "eligibility": "case-by-case review",
            "eligibility_reason": "a Bachelor's degree and 16 years of senior management: may be considered case by "
            "case (15 years required)",
        }
    ]
    text = "\n".join(layout.roster_lines(roster))
    assert_fits_80(text)
    assert "[bold]Eve[/bold] <U+001B>[31mred" in text and "\x1b" not in text
    assert "(15 years required)" in " ".join(text.split())


def test_roster_and_decisions_at_80_columns(tmp_path: Path, merged: str, capsys) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(ROSTER)
    assert main(["admin", "roster", "import", str(roster), "--db", merged]) == 0
    capsys.readouterr()
    for command in (["admin", "roster", "show", "--db", merged], ["admin", "decisions", "--db", merged]):
        assert main(command) == 0
        out = capsys.readouterr().out
        assert_fits_80(out)
        flat = " ".join(out.split())
        assert "may be considered case by case (15 years required)" in flat
        assert "C-1" in out and "C-3" in out


def test_case_by_case_review_is_decided_by_the_committee(tmp_path: Path, merged: str, capsys) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(ROSTER)
    assert main(["admin", "roster", "import", str(roster), "--db", merged]) == 0
    decide = ["admin", "eligibility", "decide", "--db", merged]
    # Only a candidate under case-by-case review; reason and name required; the decision is one of two.
    assert main([*decide, "--candidate", "C-1", "--decision", "eligible", "--reason", "x", "--by", "R"]) == 2
    assert "only a candidate sent to 'case-by-case review'" in capsys.readouterr().err
    assert main([*decide, "--candidate", "C-404", "--decision", "eligible", "--reason", "x", "--by", "R"]) == 2
    assert main([*decide, "--candidate", "C-3", "--decision", "eligible", "--reason", " ", "--by", "R"]) == 2
    assert "--reason: is empty" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*decide, "--candidate", "C-3", "--decision", "maybe", "--reason", "x", "--by", "R"])
    capsys.readouterr()
    assert main(["admin", "decisions", "--db", merged]) == 0
    assert "C-3  Cy: PENDING REVIEW" in capsys.readouterr().out
    args = ["--candidate", "C-3", "--decision", "not-eligible", "--reason", "no operations role", "--by", "R. Chair"]
    assert main([*decide, *args]) == 0
    args = ["--candidate", "C-3", "--decision", "eligible", "--reason", "minutes of 3 March: 16 years as COO"]
    assert main([*decide, *args, "--by", "Exam Committee"]) == 0
    assert "C-3: eligible by committee decision #2" in capsys.readouterr().out
    assert main(["admin", "decisions", "--db", merged]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "C-3 Cy: PENDING route panel; eligible;" in out  # eligible now, waiting for the panel's result
    assert "committee decision by Exam Committee on" in out and "minutes of 3 March: 16 years as COO" in out
    conn = admin.open_admin(merged)
    log = conn.execute("SELECT candidate_id, decision, reason, decided_by FROM eligibility_decisions").fetchall()
    stored = conn.execute("SELECT eligibility, decision FROM decisions WHERE candidate_id = 'C-3'").fetchone()
    conn.close()
    assert [tuple(r) for r in log] == [
        ("C-3", "not eligible", "no operations role", "R. Chair"),
        ("C-3", "eligible", "minutes of 3 March: 16 years as COO", "Exam Committee"),
    ]
    assert tuple(stored) == ("eligible", "pending")
    assert main(["admin", "eligibility", "log", "--db", merged]) == 0
    out = capsys.readouterr().out
    assert "#1" in out and "#2" in out and "by R. Chair: no operations role" in out
    assert main(["results", "export", "--db", merged, "--table", "eligibility_decisions"]) == 0
    exported = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [(r["decision_id"], r["decision"], r["decided_by"]) for r in exported] == [
        ("1", "not eligible", "R. Chair"),
        ("2", "eligible", "Exam Committee"),
    ]


def test_import_and_merge_exit_alike_for_skipped_and_conflicting_sheets(tmp_path: Path, capsys) -> None:
    from ccsoo_exam.rubric import rubric_from_bytes
    from ccsoo_exam.store import scoresheets
    from tests.admin_data import panel_db
    from tests.test_rubric import MINI

    rubric = rubric_from_bytes(MINI.encode(), "mini.yaml")
    good = str(tmp_path / "ann.db")
    panel_db(good, "Ann", {"X": (3, 3)})
    unfinished = str(tmp_path / "bo.db")
    conn = scoresheets.open_store(unfinished)
    scoresheets.open_sheet(conn, rubric, "X", "Bo", "2026-03-02T10:00:00Z")
    conn.close()
    twin = str(tmp_path / "ann-again.db")
    panel_db(twin, "Ann", {"X": (2, 2)})  # another sheet for the same panelist and candidate
    statuses = {}
    for name, source in (("good", good), ("skipped", unfinished), ("conflict", twin)):
        merged_panel = str(tmp_path / f"panel-{name}.db")
        merged_admin = str(tmp_path / f"admin-{name}.db")
        first = [good] if name == "conflict" else []
        enrolled_admin(merged_panel)
        enrolled_admin(merged_admin)
        statuses[name] = (
            main(["panel", "import", "--db", merged_panel, *first, source]),
            main(["admin", "merge", *first, source, "--into", merged_admin]),
        )
    statuses["unreadable"] = (
        main(["panel", "import", "--db", str(tmp_path / "p.db"), str(tmp_path / "missing.db")]),
        main(["admin", "merge", str(tmp_path / "missing.db"), "--into", str(tmp_path / "a.db")]),
    )
    assert statuses == {"good": (0, 0), "skipped": (1, 1), "conflict": (1, 1), "unreadable": (2, 2)}
    err = capsys.readouterr().err
    assert err.count("is not finalised; skipped") == 2
