"""The terminal database: durable settings, one transaction per change, chain verification, one process."""

from __future__ import annotations

import math
import sqlite3
import threading
from pathlib import Path

import pytest

from ccsoo_exam.errors import StoreError
from ccsoo_exam.form import assemble_form
from ccsoo_exam.pin import check_pin, hash_pin
from ccsoo_exam.store.database import ProcessLock, connect
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.store.sittings import MIGRATIONS, create_sitting, verify_sitting
from tests.exam_fixtures import FakeClock, FakeWallClock, open_db, sample_package

SECRET = b"s" * 32


def new_live(db: Path) -> LiveSitting:
    conn = open_db(db)
    package = sample_package()
    form = assemble_form(package.definition, package.banks, 5)
    sid = create_sitting(
        conn,
        exam_id="ccsoo-written-2026",
        exam_title="t",
        package_fingerprint=package.fingerprint,
        candidate_id="C1",
        candidate_name="",
        form=form,
        cut_score=56,
        base_seconds=10800,
        multiplier=1.0,
        proctor_pin=hash_pin("246810", SECRET),
    )
    live = LiveSitting(conn, package, sid, FakeClock(), FakeWallClock(), stall_after=math.inf)
    live.start()
    return live


def test_connections_use_wal_and_full_sync(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "r.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_migrations_are_recorded_and_not_rerun(tmp_path: Path) -> None:
    connect(tmp_path / "r.db", MIGRATIONS).close()
    conn = connect(tmp_path / "r.db", MIGRATIONS)
    assert [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY rowid")] == [
        "sittings-001-create",
        "sittings-002-boot-clock",
        "sittings-002-scaled-score",
        "sittings-002-signatures",
        "sittings-003-five-options",
        "sittings-003-accessibility",
    ]


def test_each_answer_is_one_transaction_with_its_event(tmp_path: Path) -> None:
    live = new_live(tmp_path / "r.db")
    other = sqlite3.connect(tmp_path / "r.db")  # what another reader sees after each commit
    for position, letter in enumerate("ABCD"):
        live.answer(position, letter)
        answers = other.execute("SELECT count(*) FROM responses WHERE answer IS NOT NULL").fetchone()[0]
        events = other.execute("SELECT count(*) FROM events WHERE kind = 'answer'").fetchone()[0]
        assert answers == events == position + 1
    assert verify_sitting(live.conn, live.sitting_id) is None


def test_tampering_with_a_stored_event_is_detected(tmp_path: Path) -> None:
    live = new_live(tmp_path / "r.db")
    live.answer(0, "A")
    live.answer(1, "B")
    live.conn.execute("""UPDATE events SET payload = '{"answer":"Z","position":1}' WHERE seq = 4""")
    assert verify_sitting(live.conn, live.sitting_id) == (4, "contents do not match its hash (edited after the fact)")


def test_failed_commit_keeps_time_owed_and_state_unchanged(tmp_path: Path) -> None:
    live = new_live(tmp_path / "r.db")
    live.ledger.clock.advance(30)  # type: ignore[attr-defined]
    live.conn.execute("PRAGMA query_only = 1")
    with pytest.raises(StoreError, match="NOT SAVED"):
        live.answer(0, "A")
    live.conn.execute("PRAGMA query_only = 0")
    assert live.responses[0].answer is None and live.ledger.consumed == 0 and live.ledger.pending() == 30
    assert live.conn.execute("SELECT answer FROM responses WHERE position = 0").fetchone()[0] is None


# A COMMIT that fails at COMMIT itself (as a disk that fills does): a deferred foreign key,
# broken by a trigger on every event, is checked only when the transaction commits.
COMMIT_TRAP = """
CREATE TEMP TABLE trap_parent (id PRIMARY KEY);
CREATE TEMP TABLE trap_child (p REFERENCES trap_parent (id) DEFERRABLE INITIALLY DEFERRED);
CREATE TEMP TRIGGER trap AFTER INSERT ON main.events BEGIN INSERT INTO trap_child VALUES ('missing'); END;
"""


def committed_answer(db: Path, position: int) -> str | None:
    """What another reader of the file sees: only what has been committed."""
    other = sqlite3.connect(db)
    try:
        return other.execute("SELECT answer FROM responses WHERE position = ?", (position,)).fetchone()[0]
    finally:
        other.close()


def test_the_screen_draws_an_answer_while_it_commits_on_the_committer_thread(tmp_path: Path) -> None:
    live = new_live(tmp_path / "r.db")
    drawn = threading.Event()
    threads: list[tuple[str, str, bool]] = []

    def traced(sql: str) -> None:
        # The COMMIT waits here until the drawing has run: were it on the UI thread, ahead of
        # the drawing, it would wait in vain (and say so); on the committer it waits its turn.
        if sql == "COMMIT":
            threads.append((sql, threading.current_thread().name, drawn.wait(timeout=5)))
        else:
            threads.append((sql, threading.current_thread().name, True))

    live.conn.set_trace_callback(traced)
    seen: list[tuple[str | None, str | None, str]] = []

    def draw() -> None:
        seen.append((live.responses[0].answer, committed_answer(tmp_path / "r.db", 0), threading.current_thread().name))
        drawn.set()

    state = live.answer(0, "A", during=draw)
    live.conn.set_trace_callback(None)
    authored = state.answer
    assert authored is not None and committed_answer(tmp_path / "r.db", 0) == authored
    # The drawing saw the proposed answer on the UI thread before any other reader could.
    assert seen == [(authored, None, threading.main_thread().name)]
    assert [(name, waited) for sql, name, waited in threads if sql == "COMMIT"] == [("ccsoo-commit_0", True)]
    assert all(name == threading.main_thread().name for sql, name, _ in threads if sql != "COMMIT")


def test_a_commit_failing_while_the_screen_draws_puts_everything_back(tmp_path: Path) -> None:
    live = new_live(tmp_path / "r.db")
    live.navigate(3)
    live.ledger.clock.advance(30)  # type: ignore[attr-defined]
    head, seq = live.recorder.head, live.recorder.seq
    live.conn.executescript(COMMIT_TRAP)
    drawn: list[tuple[int, str | None]] = []
    with pytest.raises(StoreError, match="NOT SAVED"):
        live.answer(5, "B", during=lambda: drawn.append((live.position, live.responses[5].answer)))
    assert drawn and drawn[0][0] == 5 and drawn[0][1] is not None, "the drawing saw the proposal"
    # Nothing of it stayed: the mirror, the position, the clock, the chain and the file.
    assert live.position == 3 and live.responses[5].answer is None
    assert (live.recorder.head, live.recorder.seq) == (head, seq)
    assert live.ledger.consumed == 0 and live.ledger.pending() == 30
    assert not live.conn.in_transaction and committed_answer(tmp_path / "r.db", 5) is None
    with pytest.raises(StoreError, match="NOT SAVED"):
        live.navigate(7, during=lambda: None)
    assert live.position == 3
    live.conn.execute("DROP TRIGGER trap")
    live.answer(5, "B", during=lambda: None)  # the next change carries on the same chain
    assert committed_answer(tmp_path / "r.db", 5) is not None and live.position == 5
    assert verify_sitting(live.conn, live.sitting_id) is None


def test_a_drawing_error_never_undoes_an_answer_that_was_saved(tmp_path: Path) -> None:
    live = new_live(tmp_path / "r.db")

    def broken() -> None:
        raise RuntimeError("the screen failed")

    with pytest.raises(RuntimeError, match="the screen failed"):
        live.toggle_flag(2, during=broken)
    assert live.responses[2].flagged, "the flag is on disk, so the mirror keeps it"
    assert live.conn.execute("SELECT flagged FROM responses WHERE position = 2").fetchone()[0] == 1
    assert live.recorder.seq == live.refresh_record().event_count
    assert verify_sitting(live.conn, live.sitting_id) is None


def test_second_process_is_refused(tmp_path: Path) -> None:
    with ProcessLock(tmp_path / "r.db"), pytest.raises(StoreError, match="another ccsoo-exam process"):
        ProcessLock(tmp_path / "r.db").acquire()
    with ProcessLock(tmp_path / "r.db"):
        pass  # released with its holder


def test_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "x.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the results database"):
        connect(tmp_path / "x.db", MIGRATIONS)


def test_pin_hash_is_keyed_by_the_package_secret() -> None:
    stored = hash_pin("246810", SECRET)
    assert check_pin("246810", stored, SECRET) and not check_pin("246811", stored, SECRET)
    assert "246810" not in stored
    # The database alone: without the secret (derived from the exam key) no guess checks.
    assert not check_pin("246810", stored, b"\x00" * 32)
    assert not any(check_pin(f"{n:06d}", stored, b"") for n in range(246800, 246820))


def test_unusable_database_location_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot use this database location"):
        ProcessLock(tmp_path / "file" / "sub" / "r.db").acquire()


def test_accessibility_is_stored_with_the_sitting_and_an_older_database_gains_the_column(tmp_path: Path) -> None:
    import sqlite3 as _sqlite3

    from ccsoo_exam.store.sittings import create_sitting, load_sitting
    from tests.exam_fixtures import sample_package

    old = tmp_path / "old.db"
    connect(old, MIGRATIONS[:2]).close()  # a terminal's database from before the accommodations
    conn = connect(old, MIGRATIONS)
    package = sample_package()
    from ccsoo_exam.form import assemble_form

    form = assemble_form(package.definition, package.banks, 7)
    common = dict(
        exam_id="e",
        exam_title="t",
        package_fingerprint="f",
        candidate_id="C1",
        candidate_name="N",
        form=form,
        cut_score=1,
        base_seconds=60.0,
        multiplier=1.0,
        proctor_pin="x",
    )
    sitting = create_sitting(conn, accessibility=frozenset({"screen-reader", "high-contrast"}), **common)
    assert load_sitting(conn, sitting).accessibility == {"screen-reader", "high-contrast"}
    assert conn.execute("SELECT accessibility FROM sittings").fetchone()[0] == "high-contrast,screen-reader"
    plain = create_sitting(conn, **common)
    assert load_sitting(conn, plain).accessibility == frozenset()
    try:
        create_sitting(conn, accessibility=frozenset({"telepathy"}), **common)
    except ValueError:
        pass
    else:
        raise AssertionError("an unknown accommodation was stored")
    assert isinstance(conn, _sqlite3.Connection)
