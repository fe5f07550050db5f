"""A large merge verifies files in worker processes: the outcome must be the one-by-one merge's, file for file.

Each case runs the real command (or ``admin.merge_files``) once with the worker pool and once
in-process, on a mix of good files and every kind of bad one, and checks the exact lines,
exit status and admin database each gives. Spying on ``merge_source.read_source`` in this
process tells the two apart: with the pool, this process reads no file itself.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from ccsoo_exam.cli import main
from ccsoo_exam.errors import StoreError
from ccsoo_exam.store import admin, merge_source, sittings
from tests.admin_data import all_correct, correct_on, enrolled_admin, panel_db, small_package, terminal_db

AT = "2026-03-03T12:00:00Z"
CHECK_IN_FORGED = (
    "event 1 (check-in): the terminal's signature does not verify (the chain was rewritten, or the signature forged)"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, dict[str, str]]]:
    """Terminal files made once: file name -> candidate -> sitting id (copied into each test's folder)."""
    definition, banks = small_package()
    folder = tmp_path_factory.mktemp("terminals")
    made = {
        # Twelve sittings: the slowest file to verify comes first, so later ones finish before it.
        "big.db": terminal_db(
            str(folder / "big.db"), definition, banks, {f"C-B{n:02d}": correct_on(n % 9) for n in range(12)}
        ),
        "t1.db": terminal_db(str(folder / "t1.db"), definition, banks, {"C-1": all_correct}, seed=20),
        "tampered.db": terminal_db(
            str(folder / "tampered.db"), definition, banks, {"C-2": correct_on(4), "C-3": correct_on(5)}, seed=30
        ),
        "forged.db": terminal_db(str(folder / "forged.db"), definition, banks, {"C-4": correct_on(1)}, seed=40),
        "consumed.db": terminal_db(str(folder / "consumed.db"), definition, banks, {"C-5": correct_on(2)}, seed=50),
        "blob.db": terminal_db(str(folder / "blob.db"), definition, banks, {"C-6": correct_on(3)}, seed=60),
        "t7.db": terminal_db(str(folder / "t7.db"), definition, banks, {"C-7": correct_on(7)}, seed=70),
        "t8.db": terminal_db(str(folder / "t8.db"), definition, banks, {"C-8": correct_on(6)}, seed=80),
    }
    edits = {
        "tampered.db": (
            'UPDATE events SET payload = \'{"position":0,"answer":"D"}\' WHERE sitting_id = ? AND seq = 3',
            "C-2",
        ),
        "forged.db": ("UPDATE signatures SET signature = zeroblob(64) WHERE sitting_id = ? AND seq = 1", "C-4"),
        # Values no terminal writes: before, each stopped the whole merge with a traceback.
        "consumed.db": ("UPDATE events SET consumed_seconds = 'soon' WHERE sitting_id = ? AND seq = 2", "C-5"),
        "blob.db": ("UPDATE signatures SET signature = 'not a blob' WHERE sitting_id = ? AND seq = 1", "C-6"),
    }
    panel_db(str(folder / "ann.db"), "Ann", {"C-1": (3, 3), "C-3": (1, 2)})  # scoresheets: imported by the writer
    for name, (sql, candidate) in edits.items():
        raw = sqlite3.connect(folder / name)
        raw.execute(sql, (made[name][candidate],))
        raw.commit()
        raw.close()
    return folder, made


@pytest.fixture
def files(tmp_path: Path, built) -> tuple[Path, dict[str, dict[str, str]]]:
    folder, made = built
    for name in [*made, "ann.db"]:
        shutil.copy(folder / name, tmp_path / name)
    (tmp_path / "notes.db").write_text("this is not a database at all\n" * 100)
    os.mkfifo(tmp_path / "pipe.db")
    return tmp_path, made


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The files this process reads itself (none, when the pool does the reading)."""
    seen: list[str] = []
    real = merge_source.read_source

    def spy(path, enrolled, columns):
        seen.append(path)
        return real(path, enrolled, columns)

    monkeypatch.setattr(merge_source, "read_source", spy)
    return seen


def pooled(monkeypatch, on: bool) -> None:
    """Use the pool (two workers, whatever this machine has) or verify in this process."""
    if on:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    else:
        monkeypatch.setattr(admin, "POOL_FILES", 10**6)


ORDER = [
    "big.db", "t1.db", "tampered.db", "notes.db", "forged.db", "pipe.db", "missing.db",
    "admin.db", "consumed.db", "ann.db", "blob.db", "t1.db", "t7.db", "t8.db",
]  # fmt: skip


def table(conn: sqlite3.Connection, sql: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(sql)]


@pytest.mark.parametrize("pool", [True, False], ids=["pool", "in-process"])
def test_every_bad_file_gets_the_sequential_outcome_in_argument_order(
    files, monkeypatch, capsys, reads, pool: bool
) -> None:
    folder, made = files
    pooled(monkeypatch, pool)
    db = enrolled_admin(folder / "admin.db")
    paths = [str(folder / name) for name in ORDER]
    status = main(["admin", "merge", *paths, "--into", db])
    out, err = capsys.readouterr()

    assert status == 2  # unreadable files
    assert reads == ([] if pool else [p for p in paths if not p.endswith("admin.db")])
    p = {name: str(folder / name) for name in ORDER}
    assert out.splitlines() == [
        f"{p['big.db']}: 12 sittings added, 0 already merged, 0 conflicts, 0 not imported (broken)",
        f"{p['t1.db']}: 1 sittings added, 0 already merged, 0 conflicts, 0 not imported (broken)",
        f"{p['tampered.db']}: 1 sittings added, 0 already merged, 0 conflicts, 1 not imported (broken)",
        f"{p['forged.db']}: 0 sittings added, 0 already merged, 0 conflicts, 1 not imported (broken)",
        f"{p['consumed.db']}: 0 sittings added, 0 already merged, 0 conflicts, 1 not imported (broken)",
        f"{p['ann.db']}: 0 sittings added, 0 already merged, 0 conflicts, 0 not imported (broken); "
        "panel: 2 sheets added, 0 already present, 0 conflicts, 0 skipped, 0 moderations added",
        f"{p['blob.db']}: 0 sittings added, 0 already merged, 0 conflicts, 1 not imported (broken)",
        f"{p['t1.db']}: 0 sittings added, 1 already merged, 0 conflicts, 0 not imported (broken)",
        f"{p['t7.db']}: 1 sittings added, 0 already merged, 0 conflicts, 0 not imported (broken)",
        f"{p['t8.db']}: 1 sittings added, 0 already merged, 0 conflicts, 0 not imported (broken)",
        f"{db}: 14 files, 16 sittings added, 1 already merged, 0 conflicts, 4 broken, 4 unreadable",
    ]
    assert err.splitlines() == [
        f"{p['tampered.db']}: sitting {made['tampered.db']['C-2']} event 3: contents do not match its hash "
        "(edited after the fact); not imported",
        f"{p['notes.db']}: is not a ccsoo-exam database (not an SQLite file)",
        f"{p['forged.db']}: sitting {made['forged.db']['C-4']} {CHECK_IN_FORGED}; not imported",
        f"{p['pipe.db']}: is a FIFO (named pipe), not a file; give the path of a regular file",
        f"{p['missing.db']}: file not found; check the path",
        f"{p['admin.db']}: is the admin database itself; name a terminal or panel file",
        f"{p['consumed.db']}: sitting {made['consumed.db']['C-5']} cannot be checked "
        "(ValueError: Unknown format code 'f' for object of type 'str'); not imported",
        f"{p['blob.db']}: sitting {made['blob.db']['C-6']} cannot be checked "
        "(TypeError: string argument without an encoding); not imported",
    ]
    conn = sqlite3.connect(db)
    good = {f"C-B{n:02d}" for n in range(12)} | {"C-1", "C-3", "C-7", "C-8"}
    assert {r[0] for r in conn.execute("SELECT candidate_id FROM sittings")} == good
    assert table(
        conn, "SELECT source, sittings_added, sittings_unchanged, broken FROM merge_log ORDER BY merge_id"
    ) == [
        (str(Path(p[name]).resolve()), *counts)
        for name, counts in [
            ("big.db", (12, 0, 0)),
            ("t1.db", (1, 0, 0)),
            ("tampered.db", (1, 0, 1)),
            ("forged.db", (0, 0, 1)),
            ("consumed.db", (0, 0, 1)),
            ("ann.db", (0, 0, 0)),
            ("blob.db", (0, 0, 1)),
            ("t1.db", (0, 1, 0)),
            ("t7.db", (1, 0, 0)),
            ("t8.db", (1, 0, 0)),
        ]
    ]
    assert table(conn, "SELECT candidate_id, panelist FROM panel_sheets ORDER BY 1") == [("C-1", "Ann"), ("C-3", "Ann")]
    # Whole sittings, each with every event and signature its terminal wrote, and still verifiable here.
    for sitting_id, event_count in table(conn, "SELECT sitting_id, event_count FROM sittings"):
        assert sittings.verify_sitting(conn, sitting_id) is None
        assert table(conn, f"SELECT COUNT(*) FROM events WHERE sitting_id = '{sitting_id}'") == [(event_count,)]
        assert table(conn, f"SELECT COUNT(*) FROM responses WHERE sitting_id = '{sitting_id}'") == [(8,)]
    assert table(conn, "SELECT COUNT(*) FROM signatures") == table(
        conn, "SELECT COUNT(*) FROM events WHERE kind IN ('check-in', 'answer', 'submit')"
    )


def test_the_pool_and_in_process_merges_write_the_same_rows(files, monkeypatch) -> None:
    folder, _made = files
    paths = [str(folder / name) for name in ORDER if name != "admin.db"]
    written = []
    for pool, name in ((True, "pool.db"), (False, "alone.db")):
        with monkeypatch.context() as patch:
            pooled(patch, pool)
            conn = admin.open_admin(enrolled_admin(folder / name))
            outcomes = list(admin.merge_files(conn, paths, lambda: AT))
            written.append(
                {
                    t: table(conn, f"SELECT * FROM {t} ORDER BY 1, 2")
                    for t in ("sittings", "responses", "events", "signatures", "merged_sittings", "panel_sheets")
                }
                | {"merge_log": table(conn, "SELECT * FROM merge_log ORDER BY merge_id")}
            )
            written[-1]["outcomes"] = [
                ("error", [str(p) for p in o.problems])
                if isinstance(o, StoreError)
                else (o.added, o.unchanged, [str(p) for p in o.problems])
                for o in outcomes
            ]
            conn.close()
    assert len(written[0]["outcomes"]) == len(paths) and len(written[0]["sittings"]) == 16
    assert len(written[0]["panel_sheets"]) == 2
    assert written[0] == written[1]


@pytest.mark.parametrize("pool", [True, False], ids=["pool", "in-process"])
def test_a_file_changed_after_it_was_verified_gets_no_unchecked_row_in(files, monkeypatch, pool: bool) -> None:
    """The rows written are the rows verified, not whatever the file holds by the time they are written."""
    folder, made = files
    pooled(monkeypatch, pool)
    names = ["t1.db", "big.db", "t7.db", "t8.db", "forged.db", "consumed.db", "blob.db", "tampered.db"]
    victim = folder / "t7.db"
    original = table(sqlite3.connect(victim), "SELECT * FROM events ORDER BY seq")
    sitting_id = made["t7.db"]["C-7"]
    stamps = iter(range(len(names)))

    def clock() -> str:
        # Called as each file is about to be written: t7.db is third, and has been read by now.
        if next(stamps) == names.index("t7.db"):
            raw = sqlite3.connect(victim)
            raw.execute('UPDATE events SET payload = \'{"position":0,"answer":"A"}\' WHERE seq = 3')
            raw.execute("UPDATE responses SET answer = 'A' WHERE position = 0")
            raw.execute(
                "INSERT INTO events SELECT sitting_id, seq + 100, kind, payload, wall_time, consumed_seconds, "
                "prev_hash, hash FROM events WHERE seq = 2"
            )
            raw.commit()
            raw.close()
        return AT

    conn = admin.open_admin(enrolled_admin(folder / "admin.db"))
    reports = list(admin.merge_files(conn, [str(folder / n) for n in names], clock))
    assert reports[names.index("t7.db")].added == (sitting_id,)
    assert table(conn, "SELECT * FROM events WHERE sitting_id = ? ORDER BY seq".replace("?", f"'{sitting_id}'")) == (
        original
    )
    assert sittings.verify_sitting(conn, sitting_id) is None
    # And the changed file, merged again, is checked afresh: its rewritten event is caught.
    again = admin.merge_file(conn, str(victim), AT)
    assert again.added == () and "event 3: contents do not match its hash" in str(again.broken[0])


def test_a_worker_killed_mid_merge_leaves_the_rest_to_this_process(files, monkeypatch, reads) -> None:
    folder, _made = files
    pooled(monkeypatch, True)
    names = ["big.db", "t1.db", "t7.db", "t8.db", "tampered.db", "forged.db", "consumed.db", "blob.db", "t1.db"]
    stamps = iter(range(len(names)))
    killed = []
    before = set(multiprocessing.active_children())

    def clock() -> str:
        if next(stamps) == 1:  # the first file is written; the pool is reading the next ones
            for worker in set(multiprocessing.active_children()) - before:
                worker.kill()
                killed.append(worker.pid)
        return AT

    conn = admin.open_admin(enrolled_admin(folder / "admin.db"))
    reports = list(admin.merge_files(conn, [str(folder / n) for n in names], clock))
    assert killed and reads  # the pool was in use, then this process took over
    assert len(reads) < len(names) - 1
    assert [(len(r.added), len(r.unchanged), len(r.broken)) for r in reports] == [
        (12, 0, 0),
        (1, 0, 0),
        (1, 0, 0),
        (1, 0, 0),
        (1, 0, 1),
        (0, 0, 1),
        (0, 0, 1),
        (0, 0, 1),
        (0, 1, 0),
    ]
    assert [r[0] for r in conn.execute("SELECT source FROM merge_log ORDER BY merge_id")] == [
        str((folder / n).resolve()) for n in names
    ]
    assert conn.execute("SELECT COUNT(*) FROM sittings").fetchone()[0] == 16
    assert set(multiprocessing.active_children()) == before  # the pool is gone


def test_a_small_merge_starts_no_worker(files, monkeypatch, reads) -> None:
    folder, _made = files
    pooled(monkeypatch, True)
    paths = [str(folder / n) for n in ("t1.db", "t7.db", "t8.db")]
    conn = admin.open_admin(enrolled_admin(folder / "admin.db"))
    reports = list(admin.merge_files(conn, paths, lambda: AT))
    assert [len(r.added) for r in reports] == [1, 1, 1]
    assert reads == paths  # read here: no pool was started for three files
