"""Faults a test centre meets: stopped processes, lost -wal files, links, damaged files, odd inputs."""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from ccsoo_exam.cli import main
from ccsoo_exam.errors import CcsooError, StoreError
from ccsoo_exam.form import assemble_form
from ccsoo_exam.inputs import read_input
from ccsoo_exam.ledger import HEARTBEAT_SECONDS, STALL_SECONDS, Ledger, TimeAllowance
from ccsoo_exam.pin import hash_pin
from ccsoo_exam.store.database import ProcessLock, connect
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.store.sittings import MIGRATIONS, create_sitting
from tests.exam_fixtures import FakeClock, FakeWallClock, open_db, sample_package

# -- time while stopped ----------------------------------------------------------------


def test_a_step_far_longer_than_the_heartbeat_is_charged_one_heartbeat_and_kept_as_a_stall() -> None:
    clock = FakeClock()
    ledger = Ledger(TimeAllowance(3600), clock=clock)
    ledger.start()
    clock.advance(4)
    assert ledger.take() == 4 and not ledger.stalls, "an ordinary step is charged in full"
    clock.advance(60)  # SIGSTOP, a paused VM
    assert ledger.pending() == HEARTBEAT_SECONDS, "the countdown never shows the stopped time"
    assert ledger.take() == HEARTBEAT_SECONDS
    assert ledger.consumed == 4 + HEARTBEAT_SECONDS
    [stall] = ledger.stalls
    assert (stall.cause, stall.seconds, stall.charged) == ("stopped", 60 - HEARTBEAT_SECONDS, HEARTBEAT_SECONDS)
    clock.advance(STALL_SECONDS)  # at the threshold itself: still an ordinary (slow) step
    assert ledger.take() == STALL_SECONDS and len(ledger.stalls) == 1


def test_a_suspend_is_told_by_the_boot_clock_and_costs_nothing() -> None:
    mono, boot = FakeClock(), FakeClock()
    ledger = Ledger(TimeAllowance(3600), clock=mono, boot=boot)
    ledger.start()
    mono.advance(3)  # CLOCK_MONOTONIC stands still while the machine sleeps...
    boot.advance(3 + 600)  # ...CLOCK_BOOTTIME does not
    assert ledger.take() == 3
    [stall] = ledger.stalls
    assert stall.cause == "suspended" and stall.seconds == 600 and stall.charged == 0
    assert "suspended" in stall.describe()


def test_a_failed_commit_forgets_the_stall_it_found_so_it_is_logged_once(tmp_path: Path) -> None:
    live = _live(tmp_path / "r.db", stall_after=STALL_SECONDS)
    live.ledger.clock.advance(100)  # type: ignore[attr-defined]
    live.conn.execute("PRAGMA query_only = 1")
    with pytest.raises(StoreError):
        live.heartbeat()
    assert live.ledger.stalls == []
    live.conn.execute("PRAGMA query_only = 0")
    live.heartbeat()
    rows = live.conn.execute("SELECT kind, payload FROM events WHERE kind = 'stall'").fetchall()
    assert len(rows) == 1
    logged = json.loads(rows[0][1])
    assert logged == {"cause": "stopped", "charged": HEARTBEAT_SECONDS, "seconds": 100 - HEARTBEAT_SECONDS}
    assert live.conn.execute("SELECT consumed_seconds FROM sittings").fetchone()[0] == HEARTBEAT_SECONDS
    assert live.recorder.seq == live.conn.execute("SELECT max(seq) FROM events").fetchone()[0]


def test_an_outage_is_measured_on_the_boot_clock_not_the_wall_clock(tmp_path: Path) -> None:
    boot = FakeClock()
    wall = FakeWallClock()
    live = _live(tmp_path / "r.db", boot=boot, wall=wall)
    live.heartbeat()
    live.conn.close()
    boot.advance(6)  # six seconds down...
    wall.advance(24 * 3600)  # ...while someone set the wall clock a day forward
    conn = open_db(tmp_path / "r.db")
    again = LiveSitting(conn, sample_package(), live.sitting_id, FakeClock(), wall, boot=boot)
    interruption = again.log_gap(wall())
    assert interruption.seconds == pytest.approx(6)
    assert interruption.describe().startswith("0:00:06")
    payload = json.loads(conn.execute("SELECT payload FROM events WHERE kind = 'gap'").fetchone()[0])
    assert payload["seconds"] == pytest.approx(6) and payload["wall_seconds"] == pytest.approx(24 * 3600)


def test_after_a_reboot_the_outage_is_not_guessed_from_the_wall_clock(tmp_path: Path) -> None:
    live = _live(tmp_path / "r.db", boot=FakeClock())
    live.heartbeat()
    live.conn.execute("UPDATE sittings SET boot_id = 'another-boot'")
    again = LiveSitting(live.conn, sample_package(), live.sitting_id, FakeClock(), FakeWallClock(), boot=FakeClock())
    interruption = again.log_gap(FakeWallClock()())
    assert interruption.seconds is None and "machine restarted" in interruption.describe()


# -- the whole file durable, and the lock on the real file ------------------------------


def test_the_main_file_alone_holds_the_sitting_after_check_in_start_and_submit(tmp_path: Path) -> None:
    live = _live(tmp_path / "r.db")
    live.answer(0, "B")
    main_only = tmp_path / "copy.db"
    shutil.copyfile(tmp_path / "r.db", main_only)  # as if the -wal file were deleted
    copy = sqlite3.connect(main_only)
    assert copy.execute("SELECT status FROM sittings").fetchone()[0] == "in-progress"
    copy.close()
    live.submit("submitted by the candidate")
    shutil.copyfile(tmp_path / "r.db", main_only)
    copy = sqlite3.connect(main_only)
    assert copy.execute("SELECT status, raw_score IS NOT NULL FROM sittings").fetchone() == ("submitted", 1)
    assert copy.execute("SELECT answer FROM responses WHERE position = 0").fetchone()[0] is not None
    copy.close()


def test_the_heartbeat_checkpoints_every_few_minutes(tmp_path: Path) -> None:
    live = _live(tmp_path / "r.db")
    live.answer(3, "A")
    live.ledger.clock.advance(121)  # type: ignore[attr-defined]
    live.heartbeat()
    main_only = tmp_path / "copy.db"
    shutil.copyfile(tmp_path / "r.db", main_only)
    copy = sqlite3.connect(main_only)
    assert copy.execute("SELECT answer FROM responses WHERE position = 3").fetchone()[0] is not None
    copy.close()


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_no_link_gets_past_the_lock(tmp_path: Path, link: str) -> None:
    real = tmp_path / "results.db"
    connect(real, MIGRATIONS).close()
    other = tmp_path / "elsewhere" / "alias.db"
    other.parent.mkdir()
    (os.symlink if link == "symlink" else os.link)(real, other)
    with ProcessLock(real), pytest.raises(StoreError, match="another ccsoo-exam process"):
        ProcessLock(other).acquire()
    with ProcessLock(other), pytest.raises(StoreError, match="another ccsoo-exam process"):
        ProcessLock(real).acquire()


def test_a_damaged_database_is_refused_at_start_with_the_recovery_steps(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    live = _live(path)
    live.answer(0, "A")
    live.checkpoint()
    live.conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page + 100, len(data) - page, page):  # scribble over pages after the schema
        data[offset : offset + 200] = b"\xff" * 200
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught:
        connect(path, MIGRATIONS, verify=True)
    message = str(caught.value)
    assert "damaged" in message and "docs/delivery.md" in message
    assert "malformed" not in message.split("(")[0], "SQLite's own words are not the message"


# -- inputs that are not files, databases that are not ours ----------------------------


def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "bank.yaml"
    os.mkfifo(fifo)
    with pytest.raises(CcsooError, match="FIFO"):
        read_input(fifo, 1000)


@pytest.mark.parametrize(
    "argv",
    [
        ["bank", "validate", "{fifo}"],
        ["bank", "lint", "{fifo}"],
        ["rubric", "validate", "{fifo}"],
        ["bank", "decrypt", "{fifo}"],
        ["admin", "roster", "import", "{fifo}", "--db", "{tmp}/a.db"],
        ["admin", "merge", "{fifo}", "--into", "{tmp}/a.db"],
        ["admin", "decisions", "--db", "{fifo}"],
        ["results", "export", "--db", "{fifo}", "--format", "csv"],
        ["panel", "report", "--db", "{fifo}"],
    ],
)
def test_every_command_refuses_a_fifo_with_one_line_and_exit_2(tmp_path: Path, argv, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CCSOO_EXAM_KEY", "CCSOO-DEMO-2026-open-sesame")
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    code = main([a.format(fifo=fifo, tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert "FIFO" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["admin", "decisions"], ["results", "export", "--format", "csv"]])
def test_admin_commands_never_create_tables_in_a_foreign_database(tmp_path: Path, command, capsys) -> None:
    foreign = tmp_path / "shop.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE orders (id INTEGER)")
    conn.commit()
    conn.close()
    assert main([*command[:2], "--db", str(foreign), *command[2:]]) == 2
    assert "is not a ccsoo-exam database" in capsys.readouterr().err
    conn = sqlite3.connect(foreign)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["orders"]
    conn.close()


def test_an_empty_file_is_not_an_empty_result(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert main(["admin", "decisions", "--db", str(empty)]) == 2
    assert "is not a ccsoo-exam database" in capsys.readouterr().err
    assert empty.read_bytes() == b"", "nothing was written into it"


def test_databases_ccsoo_exam_makes_carry_its_application_id(tmp_path: Path) -> None:
    connect(tmp_path / "r.db", MIGRATIONS).close()
    conn = sqlite3.connect(tmp_path / "r.db")
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x43435345
    conn.close()


def test_panel_refuses_to_run_without_a_terminal(capsys) -> None:
    # Under pytest standard input is not a terminal: the command must say so, not wait.
    assert main(["panel"]) == 2
    assert "needs an interactive terminal" in capsys.readouterr().err


# -- helpers ---------------------------------------------------------------------------


def _live(
    db: Path,
    *,
    stall_after: float = math.inf,
    boot: FakeClock | None = None,
    wall: FakeWallClock | None = None,
) -> LiveSitting:
    conn = open_db(db)
    package = sample_package()
    form = assemble_form(package.definition, package.banks, 11)
    wall = wall or FakeWallClock()
    sid = create_sitting(
        conn,
        exam_id=package.definition.exam,
        exam_title="t",
        package_fingerprint=package.fingerprint,
        candidate_id="C1",
        candidate_name="Ann",
        form=form,
        cut_score=56,
        base_seconds=10800,
        multiplier=1.0,
        proctor_pin=hash_pin("246810", b"test-secret"),
        wall_clock=wall,
    )
    live = LiveSitting(conn, package, sid, FakeClock(), wall, boot=boot or (lambda: None), stall_after=stall_after)
    live.start()
    return live


# -- an honest state machine -------------------------------------------------------------


def test_a_failed_resume_leaves_the_clock_stopped(tmp_path: Path) -> None:
    live = _live(tmp_path / "r.db")
    live.pause("proctor")
    live.conn.execute("PRAGMA query_only = 1")
    with pytest.raises(StoreError):
        live.resume("proctor")
    live.conn.execute("PRAGMA query_only = 0")
    assert live.ledger.paused, "the database still says paused, so the clock must not run"
    before = live.ledger.remaining
    live.ledger.clock.advance(600)  # type: ignore[attr-defined]
    assert live.ledger.remaining == before
    assert live.conn.execute("SELECT status FROM sittings").fetchone()[0] == "paused"


def test_a_failed_start_leaves_the_clock_stopped(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "r.db")
    package = sample_package()
    sid = create_sitting(
        conn,
        exam_id=package.definition.exam,
        exam_title="t",
        package_fingerprint=package.fingerprint,
        candidate_id="C1",
        candidate_name="Ann",
        form=assemble_form(package.definition, package.banks, 3),
        cut_score=56,
        base_seconds=10800,
        multiplier=1.0,
        proctor_pin=hash_pin("246810", b"test-secret"),
    )
    live = LiveSitting(conn, package, sid, FakeClock(), FakeWallClock(), stall_after=math.inf)
    conn.execute("PRAGMA query_only = 1")
    with pytest.raises(StoreError):
        live.start()
    assert live.ledger.paused
    live.ledger.clock.advance(100)  # type: ignore[attr-defined]
    assert live.ledger.remaining == 10800


def test_raw_sqlite_text_never_reaches_the_candidate(tmp_path: Path) -> None:
    live = _live(tmp_path / "r.db")
    # Another writer took the next sequence number behind the recorder's back.
    live.conn.execute(
        "INSERT INTO events VALUES (?, ?, 'x', '{}', 't', 0, 'p', 'h')", (live.sitting_id, live.recorder.seq + 1)
    )
    with pytest.raises(StoreError) as caught:
        live.answer(0, "A")
    message = str(caught.value)
    assert "NOT SAVED" in message and "code SQLITE_CONSTRAINT" in message
    assert "UNIQUE" not in message and "events.seq" not in message
