"""Scoresheets in SQLite: every change one durable transaction, an append-only log, merging.

Tables (all prefixed ``panel_`` so a panel database can sit beside sittings and the
administrator's ``candidates`` roster in one file):

* ``panel_rubrics``   -- the exact rubric file each sheet was scored against, by SHA-256,
  so a report never depends on finding the same YAML file again;
* ``panel_sheets``    -- one row per sheet: stable id, rubric, candidate, panelist,
  conflict declaration, and once finalised the seal hash and time;
* ``panel_scores``    -- the current level of each scored criterion;
* ``panel_notes``     -- the current notes (an undone note disappears here);
* ``panel_changes``   -- the append-only log of everything that happened to a sheet
  (open, conflict, level, note, undo, seal), for undo and for audit;
* ``panel_timer_events`` -- append-only starts and stops of the phase timers, so a
  reopened sheet shows the right elapsed time (kept beside the sheet, not sealed with it);
* ``panel_moderations`` -- moderated final scores with the moderator's reason (older form);
* ``panel_criterion_moderations`` -- the chair's moderated level per criterion, with the reason;
* ``panel_consolidated`` -- the chair's sealed consolidated sheet per candidate.

A sheet opened by mistake and never scored is voided (``voided_at``, ``void_reason``), never
deleted: it stays with its log and counts nowhere.

Each public function that changes a sheet reads the sheet, checks the change with the
domain rules and writes the log entry and the current state in ONE transaction, so the
state and its log can never disagree, and a returned call means the change survives a
crash or power cut (WAL + synchronous=FULL, set by ``connect``). The sealed check runs
inside that same transaction, so no second process can edit a sheet as it is sealed.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Protocol

from ccsoo_exam.aggregation import (
    CriterionModeration,
    Moderation,
    aggregate,
    check_criterion_moderation,
    check_moderation,
)
from ccsoo_exam.consolidation import Consolidation, consolidated_content, consolidation_problems, seal_content
from ccsoo_exam.errors import Problem, StoreError
from ccsoo_exam.replay import sheet_conflicts
from ccsoo_exam.rubric import Rubric, rubric_from_bytes
from ccsoo_exam.scoresheet import (
    CONFLICT,
    LEVEL,
    NOTE,
    OPEN,
    REOPEN,
    SEAL,
    TIMER_START,
    TIMER_STOP,
    UNDO,
    VOID,
    Change,
    Note,
    Scoresheet,
    ScoresheetError,
    TimerEvent,
    check_editable,
    check_late_conflict,
    check_level,
    check_note,
    check_person,
    check_rubric,
    check_void,
    running_since,
    seal_hash,
    seal_message,
    seal_problems,
    undo_target,
    verify_seal,
    wall_seconds,
)
from ccsoo_exam.store.database import Migration, connect, transaction
from ccsoo_exam.text import has_control

MIGRATIONS: list[Migration] = [
    (
        "panel-001-scoresheets",
        """
        CREATE TABLE panel_rubrics (
            digest TEXT PRIMARY KEY,
            rubric_id TEXT NOT NULL,
            title TEXT NOT NULL,
            source BLOB NOT NULL
        );
        CREATE TABLE panel_sheets (
            sheet_id TEXT PRIMARY KEY,
            rubric_id TEXT NOT NULL,
            rubric_digest TEXT NOT NULL REFERENCES panel_rubrics (digest),
            candidate_id TEXT NOT NULL,
            panelist TEXT NOT NULL,
            created_at TEXT NOT NULL,
            conflict INTEGER CHECK (conflict IN (0, 1)),
            conflict_reason TEXT NOT NULL DEFAULT '',
            seal_hash TEXT,
            sealed_at TEXT,
            UNIQUE (rubric_id, candidate_id, panelist)
        );
        CREATE TABLE panel_scores (
            sheet_id TEXT NOT NULL REFERENCES panel_sheets (sheet_id),
            criterion_id TEXT NOT NULL,
            level INTEGER NOT NULL,
            PRIMARY KEY (sheet_id, criterion_id)
        ) WITHOUT ROWID;
        CREATE TABLE panel_notes (
            sheet_id TEXT NOT NULL REFERENCES panel_sheets (sheet_id),
            seq INTEGER NOT NULL,
            criterion_id TEXT NOT NULL,
            text TEXT NOT NULL,
            noted_at TEXT NOT NULL,
            PRIMARY KEY (sheet_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE panel_changes (
            sheet_id TEXT NOT NULL REFERENCES panel_sheets (sheet_id),
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            criterion_id TEXT,
            old_level INTEGER,
            new_level INTEGER,
            text TEXT NOT NULL DEFAULT '',
            undoes INTEGER,
            PRIMARY KEY (sheet_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE panel_moderations (
            moderation_id TEXT PRIMARY KEY,
            rubric_id TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            score REAL NOT NULL,
            reason TEXT NOT NULL,
            moderator TEXT NOT NULL,
            moderated_at TEXT NOT NULL
        );
        CREATE INDEX panel_sheets_candidate ON panel_sheets (rubric_id, candidate_id)
        """,
    ),
    (
        "panel-002-timer-events",
        # elapsed: the phase's seconds before a start, or in total at a stop (monotonic, so
        # exact); at: the wall clock, which is what bridges a restart for a running timer.
        """
        CREATE TABLE panel_timer_events (
            sheet_id TEXT NOT NULL REFERENCES panel_sheets (sheet_id),
            seq INTEGER NOT NULL,
            phase_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('start', 'stop')),
            at TEXT NOT NULL,
            elapsed REAL NOT NULL CHECK (elapsed >= 0),
            PRIMARY KEY (sheet_id, seq)
        ) WITHOUT ROWID
        """,
    ),
    (
        "panel-003-seal-signatures",
        """
        CREATE TABLE panel_seal_signatures (
            sheet_id TEXT PRIMARY KEY REFERENCES panel_sheets (sheet_id),
            key_id TEXT NOT NULL,
            signature BLOB NOT NULL
        )
        """,
    ),
    (
        "panel-004-void-and-chair",
        """
        ALTER TABLE panel_sheets ADD COLUMN voided_at TEXT;
        ALTER TABLE panel_sheets ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';
        CREATE TABLE panel_criterion_moderations (
            moderation_id TEXT PRIMARY KEY,
            rubric_id TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            criterion_id TEXT NOT NULL,
            level INTEGER NOT NULL,
            reason TEXT NOT NULL,
            moderator TEXT NOT NULL,
            moderated_at TEXT NOT NULL
        );
        CREATE TABLE panel_consolidated (
            consolidation_id TEXT PRIMARY KEY,
            rubric_id TEXT NOT NULL,
            rubric_digest TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            chair TEXT NOT NULL,
            content TEXT NOT NULL,
            seal_hash TEXT NOT NULL,
            sealed_at TEXT NOT NULL,
            UNIQUE (rubric_id, rubric_digest, candidate_id)
        )
        """,
    ),
]

_SHEET_COLUMNS = (
    "sheet_id, rubric_id, rubric_digest, candidate_id, panelist, created_at, conflict, conflict_reason, "
    "seal_hash, sealed_at"
)


def open_store(path: str) -> sqlite3.Connection:
    """Open (creating if needed) a panel database with the scoresheet tables."""
    return connect(path, MIGRATIONS)


def open_existing(path: str) -> sqlite3.Connection:
    """Open a panel or admin database that must exist and be ccsoo-exam's (reports never create one)."""
    return connect(path, MIGRATIONS, create=False)


def save_rubric(conn: sqlite3.Connection, rubric: Rubric) -> None:
    """Keep a copy of the rubric file's bytes, once per digest."""
    with transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO panel_rubrics (digest, rubric_id, title, source) VALUES (?, ?, ?, ?)",
            (rubric.digest, rubric.id, rubric.title, rubric.source),
        )


def stored_rubrics(conn: sqlite3.Connection) -> list[Rubric]:
    """The rubrics this database holds sheets for, parsed from their stored bytes."""
    rows = conn.execute(
        "SELECT digest, rubric_id, source FROM panel_rubrics WHERE digest IN (SELECT rubric_digest FROM panel_sheets) "
        "ORDER BY rubric_id, digest"
    ).fetchall()
    return [rubric_from_bytes(bytes(row["source"]), f"{row['rubric_id']}@{row['digest'][:12]}") for row in rows]


# --- reading ----------------------------------------------------------------------------


def _sheet_from(conn: sqlite3.Connection, row: sqlite3.Row) -> Scoresheet:
    sheet_id = row["sheet_id"]
    levels = {
        r[0]: r[1] for r in conn.execute("SELECT criterion_id, level FROM panel_scores WHERE sheet_id = ?", (sheet_id,))
    }
    notes = tuple(
        Note(r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT seq, criterion_id, text, noted_at FROM panel_notes WHERE sheet_id = ? ORDER BY seq", (sheet_id,)
        )
    )
    conflict = row["conflict"]
    columns = row.keys()  # a panel file from before voiding has no void columns
    return Scoresheet(
        sheet_id=sheet_id,
        rubric_id=row["rubric_id"],
        rubric_digest=row["rubric_digest"],
        candidate_id=row["candidate_id"],
        panelist=row["panelist"],
        created_at=row["created_at"],
        conflict=None if conflict is None else bool(conflict),
        conflict_reason=row["conflict_reason"],
        levels=MappingProxyType(levels),
        notes=notes,
        seal_hash=row["seal_hash"],
        sealed_at=row["sealed_at"],
        voided_at=row["voided_at"] if "voided_at" in columns else None,
        void_reason=row["void_reason"] if "void_reason" in columns else "",
    )


def _columns(conn: sqlite3.Connection) -> str:
    # A panel file from before sheets could be voided has no void columns; read what it has.
    names = {r[1] for r in conn.execute("PRAGMA table_info(panel_sheets)")}
    return _SHEET_COLUMNS + (", voided_at, void_reason" if "voided_at" in names else "")


def load_sheet(conn: sqlite3.Connection, sheet_id: str) -> Scoresheet:
    row = conn.execute(f"SELECT {_columns(conn)} FROM panel_sheets WHERE sheet_id = ?", (sheet_id,)).fetchone()
    if row is None:
        raise StoreError(Problem(_db_name(conn), None, f"no scoresheet with id {sheet_id}"))
    return _sheet_from(conn, row)


def find_sheet(conn: sqlite3.Connection, rubric_id: str, candidate_id: str, panelist: str) -> Scoresheet | None:
    row = conn.execute(
        f"SELECT {_columns(conn)} FROM panel_sheets WHERE rubric_id = ? AND candidate_id = ? AND panelist = ?",
        (rubric_id, candidate_id, panelist),
    ).fetchone()
    return None if row is None else _sheet_from(conn, row)


def list_sheets(
    conn: sqlite3.Connection, rubric_id: str | None = None, panelist: str | None = None
) -> list[Scoresheet]:
    """Sheets in a stable order (candidate, panelist), optionally for one rubric or panelist."""
    sql = f"SELECT {_columns(conn)} FROM panel_sheets WHERE 1 = 1"
    params: list[str] = []
    if rubric_id is not None:
        sql += " AND rubric_id = ?"
        params.append(rubric_id)
    if panelist is not None:
        sql += " AND panelist = ?"
        params.append(panelist)
    rows = conn.execute(sql + " ORDER BY candidate_id, panelist, sheet_id", params).fetchall()
    return [_sheet_from(conn, row) for row in rows]


def changes(conn: sqlite3.Connection, sheet_id: str) -> list[Change]:
    """The sheet's change log, oldest first."""
    return [
        Change(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
        for r in conn.execute(
            "SELECT seq, kind, at, criterion_id, old_level, new_level, text, undoes FROM panel_changes "
            "WHERE sheet_id = ? ORDER BY seq",
            (sheet_id,),
        )
    ]


def timer_events(conn: sqlite3.Connection, sheet_id: str) -> list[TimerEvent]:
    """The sheet's phase timer starts and stops, oldest first."""
    return [
        TimerEvent(r[0], r[1], r[2], r[3], r[4])
        for r in conn.execute(
            "SELECT phase_id, kind, elapsed, at, seq FROM panel_timer_events WHERE sheet_id = ? ORDER BY seq",
            (sheet_id,),
        )
    ]


def roster(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(candidate_id, name) from the administrator's ``candidates`` table, if this database has one."""
    if not _has_table(conn, "candidates"):
        return []
    columns = {r[1] for r in conn.execute("PRAGMA table_info(candidates)")}
    name = "name" if "name" in columns else "''"
    return [
        (str(r[0]), str(r[1] or "")) for r in conn.execute(f"SELECT candidate_id, {name} FROM candidates ORDER BY 1")
    ]


# --- changing a sheet -------------------------------------------------------------------


def open_sheet(conn: sqlite3.Connection, rubric: Rubric, candidate_id: str, panelist: str, at: str) -> Scoresheet:
    """The panelist's sheet for this candidate: the existing one (after a crash), else a new one."""
    candidate_id = check_person(candidate_id, "candidate id")
    panelist = check_person(panelist, "panelist name")
    with transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO panel_rubrics (digest, rubric_id, title, source) VALUES (?, ?, ?, ?)",
            (rubric.digest, rubric.id, rubric.title, rubric.source),
        )
        existing = find_sheet(conn, rubric.id, candidate_id, panelist)
        if existing is not None and existing.voided:
            # The same candidate chosen again after a void: the sheet comes back, and the log says so.
            conn.execute("UPDATE panel_sheets SET voided_at = NULL WHERE sheet_id = ?", (existing.sheet_id,))
            _log(conn, Change(_next_seq(conn, existing.sheet_id), REOPEN, at), existing.sheet_id)
            return load_sheet(conn, existing.sheet_id)
        if existing is not None:
            return existing
        # A random id, not one derived from names: two machines opening "the same" sheet
        # must be told apart when their files are merged, not silently treated as one.
        sheet_id = uuid.uuid4().hex
        conn.execute(
            "INSERT INTO panel_sheets (sheet_id, rubric_id, rubric_digest, candidate_id, panelist, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (sheet_id, rubric.id, rubric.digest, candidate_id, panelist, at),
        )
        _log(conn, Change(1, OPEN, at), sheet_id)
        return load_sheet(conn, sheet_id)


def declare_conflict(
    conn: sqlite3.Connection,
    rubric: Rubric,
    sheet_id: str,
    conflict: bool,
    reason: str,
    at: str,
    *,
    signer: SealSigner | None = None,
) -> Scoresheet:
    """Record the panelist's declaration, made once, before any scoring.

    A declared conflict seals the sheet at once as a recusal: it is kept for the record and
    left out of every aggregate.
    """
    reason = " ".join(reason.split())
    if has_control(reason):
        raise ScoresheetError(
            Problem(f"sheet {sheet_id[:8]}", None, "the description contains control characters; type plain text")
        )
    with transaction(conn):
        sheet = load_sheet(conn, sheet_id)
        if sheet.conflict is not None:
            raise ScoresheetError(Problem(f"sheet {sheet_id[:8]}", None, "a conflict of interest was already declared"))
        if conflict and not reason:
            raise ScoresheetError(Problem(f"sheet {sheet_id[:8]}", None, "describe the conflict of interest"))
        conn.execute(
            "UPDATE panel_sheets SET conflict = ?, conflict_reason = ? WHERE sheet_id = ?",
            (int(conflict), reason, sheet_id),
        )
        _log(conn, Change(_next_seq(conn, sheet_id), CONFLICT, at, text=reason, new_level=int(conflict)), sheet_id)
        sheet = replace(sheet, conflict=conflict, conflict_reason=reason)
        if conflict:
            sheet = _seal(conn, rubric, sheet, at, signer=signer)
        return sheet


def declare_late_conflict(
    conn: sqlite3.Connection,
    rubric: Rubric,
    sheet_id: str,
    reason: str,
    at: str,
    *,
    closing: Sequence[TimerEvent] = (),
    signer: SealSigner | None = None,
) -> Scoresheet:
    """Record a conflict of interest found during scoring, and seal the sheet as a recusal.

    The sheet ends exactly as if the conflict had been declared at the start: no current
    levels or notes, the conflict and its description, sealed at ``at``. The levels and
    notes entered so far stay in the append-only log (with this declaration as a
    ``conflict`` change from 0 to 1), so the record shows what happened, but nothing
    from them reaches a report. ``closing`` are the stops of running phase timers.
    """
    reason = " ".join(reason.split())
    with transaction(conn):
        sheet = load_sheet(conn, sheet_id)
        check_late_conflict(sheet, reason)
        conn.execute("UPDATE panel_sheets SET conflict = 1, conflict_reason = ? WHERE sheet_id = ?", (reason, sheet_id))
        _log(conn, Change(_next_seq(conn, sheet_id), CONFLICT, at, old_level=0, new_level=1, text=reason), sheet_id)
        conn.execute("DELETE FROM panel_scores WHERE sheet_id = ?", (sheet_id,))
        conn.execute("DELETE FROM panel_notes WHERE sheet_id = ?", (sheet_id,))
        recusal = replace(sheet, conflict=True, conflict_reason=reason, levels=MappingProxyType({}), notes=())
        return _seal(conn, rubric, recusal, at, closing, signer)


def void_sheet(conn: sqlite3.Connection, sheet_id: str, reason: str, at: str) -> Scoresheet:
    """Void an unscored, unsealed sheet (opened by mistake): kept with its log, counted nowhere."""
    with transaction(conn):
        sheet = load_sheet(conn, sheet_id)
        reason = check_void(sheet, reason)
        conn.execute(
            "UPDATE panel_sheets SET voided_at = ?, void_reason = ? WHERE sheet_id = ?", (at, reason, sheet_id)
        )
        _log(conn, Change(_next_seq(conn, sheet_id), VOID, at, text=reason), sheet_id)
        return replace(sheet, voided_at=at, void_reason=reason)


def set_level(
    conn: sqlite3.Connection, rubric: Rubric, sheet_id: str, criterion_id: str, level: int, at: str
) -> Scoresheet:
    """Set one criterion's level; a no-op (same level) writes nothing."""
    with transaction(conn):
        sheet = load_sheet(conn, sheet_id)
        check_level(rubric, sheet, criterion_id, level)
        old = sheet.levels.get(criterion_id)
        if old == level:
            return sheet
        _log(conn, Change(_next_seq(conn, sheet_id), LEVEL, at, criterion_id, old, level), sheet_id)
        _write_level(conn, sheet_id, criterion_id, level)
        return replace(sheet, levels=MappingProxyType({**sheet.levels, criterion_id: level}))


def add_note(
    conn: sqlite3.Connection, rubric: Rubric, sheet_id: str, criterion_id: str, text: str, at: str
) -> Scoresheet:
    """Add a timestamped note to one criterion."""
    with transaction(conn):
        sheet = load_sheet(conn, sheet_id)
        text = check_note(rubric, sheet, criterion_id, text)
        seq = _next_seq(conn, sheet_id)
        _log(conn, Change(seq, NOTE, at, criterion_id, text=text), sheet_id)
        conn.execute(
            "INSERT INTO panel_notes (sheet_id, seq, criterion_id, text, noted_at) VALUES (?, ?, ?, ?, ?)",
            (sheet_id, seq, criterion_id, text, at),
        )
        return replace(sheet, notes=(*sheet.notes, Note(seq, criterion_id, text, at)))


def undo(conn: sqlite3.Connection, rubric: Rubric, sheet_id: str, at: str) -> tuple[Scoresheet, Change | None]:
    """Revert the latest level or note change not yet undone; the undo is itself logged.

    Returns the sheet and the change that was reverted (None when there is nothing to undo).
    """
    with transaction(conn):
        sheet = load_sheet(conn, sheet_id)
        if sheet.sealed:
            raise ScoresheetError(
                Problem(f"sheet {sheet_id[:8]}", None, "this sheet is finalised; it cannot be changed")
            )
        target = undo_target(changes(conn, sheet_id))
        if target is None:
            return sheet, None
        _log(conn, Change(_next_seq(conn, sheet_id), UNDO, at, target.criterion_id, undoes=target.seq), sheet_id)
        if target.kind == LEVEL:
            assert target.criterion_id is not None
            if target.old_level is None:
                conn.execute(
                    "DELETE FROM panel_scores WHERE sheet_id = ? AND criterion_id = ?", (sheet_id, target.criterion_id)
                )
            else:
                _write_level(conn, sheet_id, target.criterion_id, target.old_level)
        elif target.kind == NOTE:
            conn.execute("DELETE FROM panel_notes WHERE sheet_id = ? AND seq = ?", (sheet_id, target.seq))
        return load_sheet(conn, sheet_id), target


def seal(
    conn: sqlite3.Connection,
    rubric: Rubric,
    sheet_id: str,
    at: str,
    *,
    closing: Sequence[TimerEvent] = (),
    signer: SealSigner | None = None,
) -> Scoresheet:
    """Finalise the sheet: store the hash of its content; no change is accepted afterwards.

    ``closing`` are the stops of the running phase timers, measured by the caller's
    monotonic clock; any timer still running after them is stopped by the wall clock, so
    a sealed sheet's timers never run on.
    """
    with transaction(conn):
        return _seal(conn, rubric, load_sheet(conn, sheet_id), at, closing, signer)


def record_timer(
    conn: sqlite3.Connection, rubric: Rubric, sheet_id: str, events: Sequence[TimerEvent], at: str
) -> tuple[TimerEvent, ...]:
    """Record phase timer starts and stops (a phase switch is a stop and a start) in one transaction.

    Only while the sheet is being scored: a sealed sheet's timers are frozen with it.
    """
    with transaction(conn):
        sheet = load_sheet(conn, sheet_id)
        check_editable(sheet)
        return _write_timer(conn, rubric, sheet, events, at)


def _write_timer(
    conn: sqlite3.Connection, rubric: Rubric, sheet: Scoresheet, events: Sequence[TimerEvent], at: str
) -> tuple[TimerEvent, ...]:
    check_rubric(rubric, sheet)
    phases = {p.id for p in rubric.phases}
    seq = conn.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM panel_timer_events WHERE sheet_id = ?", (sheet.sheet_id,)
    ).fetchone()[0]
    written = []
    for event in events:
        if event.phase_id not in phases or event.kind not in (TIMER_START, TIMER_STOP) or not event.elapsed >= 0:
            raise ScoresheetError(
                Problem(f"sheet {sheet.sheet_id[:8]}", None, f"not a timer event of rubric {rubric.id}: {event}")
            )
        seq += 1
        stored = replace(event, at=at, seq=seq)
        conn.execute(
            "INSERT INTO panel_timer_events (sheet_id, seq, phase_id, kind, at, elapsed) VALUES (?, ?, ?, ?, ?, ?)",
            (sheet.sheet_id, seq, stored.phase_id, stored.kind, at, float(stored.elapsed)),
        )
        written.append(stored)
    return tuple(written)


def _seal(
    conn: sqlite3.Connection,
    rubric: Rubric,
    sheet: Scoresheet,
    at: str,
    closing: Sequence[TimerEvent] = (),
    signer: SealSigner | None = None,
) -> Scoresheet:
    problems = seal_problems(rubric, sheet)
    if problems:
        raise ScoresheetError([Problem(f"sheet {sheet.sheet_id[:8]}", None, p) for p in problems])
    _write_timer(conn, rubric, sheet, closing, at)
    still = running_since(timer_events(conn, sheet.sheet_id))
    _write_timer(
        conn,
        rubric,
        sheet,
        [TimerEvent(pid, TIMER_STOP, start.elapsed + wall_seconds(start.at, at)) for pid, start in still.items()],
        at,
    )
    digest = seal_hash(sheet)
    conn.execute(
        "UPDATE panel_sheets SET seal_hash = ?, sealed_at = ? WHERE sheet_id = ?", (digest, at, sheet.sheet_id)
    )
    _log(conn, Change(_next_seq(conn, sheet.sheet_id), SEAL, at, text=digest), sheet.sheet_id)
    sealed = replace(sheet, seal_hash=digest, sealed_at=at)
    if signer is not None:
        # The machine's signature over the sheet *and* its whole log, in the seal's own transaction.
        message = seal_message(sealed, changes(conn, sheet.sheet_id))
        conn.execute(
            "INSERT INTO panel_seal_signatures (sheet_id, key_id, signature) VALUES (?, ?, ?)",
            (sheet.sheet_id, signer.key_id, signer.sign(message)),
        )
    return sealed


class SealSigner(Protocol):
    """A panelist machine's key as the store sees it (``signing.Signer``)."""

    key_id: str

    def sign(self, message: bytes) -> bytes: ...


def seal_signature(conn: sqlite3.Connection, sheet_id: str) -> tuple[str, bytes] | None:
    if not _has_table(conn, "panel_seal_signatures"):
        return None
    row = conn.execute("SELECT key_id, signature FROM panel_seal_signatures WHERE sheet_id = ?", (sheet_id,)).fetchone()
    return (row[0], bytes(row[1])) if row else None


def enrolled_keys(conn: sqlite3.Connection) -> dict[str, str]:
    """key id -> public key of the machines enrolled in this database (``admin enrol-terminal``)."""
    if not _has_table(conn, "terminals"):
        return {}
    return {r[0]: r[1] for r in conn.execute("SELECT key_id, public_key FROM terminals")}


def _write_level(conn: sqlite3.Connection, sheet_id: str, criterion_id: str, level: int) -> None:
    conn.execute(
        "INSERT INTO panel_scores (sheet_id, criterion_id, level) VALUES (?, ?, ?) "
        "ON CONFLICT (sheet_id, criterion_id) DO UPDATE SET level = excluded.level",
        (sheet_id, criterion_id, level),
    )


def _next_seq(conn: sqlite3.Connection, sheet_id: str) -> int:
    return conn.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM panel_changes WHERE sheet_id = ?", (sheet_id,)
    ).fetchone()[0]


def _log(conn: sqlite3.Connection, change: Change, sheet_id: str) -> None:
    conn.execute(
        "INSERT INTO panel_changes (sheet_id, seq, kind, at, criterion_id, old_level, new_level, text, undoes) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sheet_id,
            change.seq,
            change.kind,
            change.at,
            change.criterion_id,
            change.old_level,
            change.new_level,
            change.text,
            change.undoes,
        ),
    )


# --- moderation -------------------------------------------------------------------------


def record_moderation(
    conn: sqlite3.Connection, rubric_id: str, candidate_id: str, score: float, reason: str, moderator: str, at: str
) -> Moderation:
    """Record a moderated final score; earlier moderations stay, the latest one counts."""
    moderation = check_moderation(Moderation(uuid.uuid4().hex, rubric_id, candidate_id, score, reason, moderator, at))
    with transaction(conn):
        if not conn.execute(
            "SELECT 1 FROM panel_sheets WHERE rubric_id = ? AND candidate_id = ? LIMIT 1", (rubric_id, candidate_id)
        ).fetchone():
            raise StoreError(
                Problem(_db_name(conn), None, f"no scoresheet for candidate '{candidate_id}' on rubric {rubric_id}")
            )
        _insert_moderation(conn, moderation)
    return moderation


def moderations(conn: sqlite3.Connection, rubric_id: str | None = None) -> list[Moderation]:
    sql = "SELECT moderation_id, rubric_id, candidate_id, score, reason, moderator, moderated_at FROM panel_moderations"
    params: tuple[str, ...] = ()
    if rubric_id is not None:
        sql += " WHERE rubric_id = ?"
        params = (rubric_id,)
    return [Moderation(*row) for row in conn.execute(sql + " ORDER BY moderated_at, moderation_id", params)]


def _insert_moderation(conn: sqlite3.Connection, m: Moderation) -> None:
    conn.execute(
        "INSERT INTO panel_moderations "
        "(moderation_id, rubric_id, candidate_id, score, reason, moderator, moderated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (m.moderation_id, m.rubric_id, m.candidate_id, m.score, m.reason, m.moderator, m.moderated_at),
    )


# --- merging ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import did. ``conflicts`` are sheets left alone because the target differs."""

    added: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    conflicts: tuple[Problem, ...] = ()
    skipped: tuple[Problem, ...] = ()
    moderations_added: int = 0
    voided: tuple[str, ...] = ()  # sheets voided by their panelist: nothing to import, not a problem

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Conflicts and skipped sheets: what makes ``panel import`` and ``admin merge`` exit 1."""
        return (*self.conflicts, *self.skipped)

    def summary(self) -> str:
        return (
            f"{len(self.added)} sheets added, {len(self.unchanged)} already present, "
            f"{len(self.conflicts)} conflicts, {len(self.skipped)} skipped, {self.moderations_added} moderations added"
            + (f", {len(self.voided)} voided (not imported)" if self.voided else "")
        )


def import_scoresheets(source: sqlite3.Connection, target: sqlite3.Connection) -> ImportReport:
    """Copy finalised sheets (with their logs and rubric files) and moderations by stable id.

    Idempotent: a sheet already in the target with the same seal hash is left as it is,
    so importing the same file twice changes nothing. A sheet whose id exists with
    different content, or a second sheet for the same rubric, candidate and panelist, is
    reported and never overwritten. Unsealed sheets and sheets whose seal does not verify
    are skipped and reported. The whole import is one transaction.
    """
    name = _db_name(source)
    if not _has_table(source, "panel_sheets"):
        raise StoreError(Problem(name, None, "has no scoresheets (not a ccsoo-exam panel database)"))
    added: list[str] = []
    unchanged: list[str] = []
    conflicts: list[Problem] = []
    skipped: list[Problem] = []
    moderations_added = 0
    from ccsoo_exam.signing import seal_fault  # cryptography: only when importing

    enrolled = enrolled_keys(target)
    voided: list[str] = []
    with transaction(target):
        for sheet in list_sheets(source):
            label = f"sheet {sheet.sheet_id} ({sheet.panelist} on {sheet.candidate_id})"
            if sheet.voided and not sheet.sealed:
                voided.append(sheet.sheet_id)
                continue
            if not sheet.sealed:
                skipped.append(Problem(name, None, f"{label} is not finalised; skipped"))
                continue
            if not verify_seal(sheet):
                skipped.append(Problem(name, None, f"{label} does not match its seal hash (altered?); skipped"))
                continue
            rubric_row = source.execute(
                "SELECT source FROM panel_rubrics WHERE digest = ?", (sheet.rubric_digest,)
            ).fetchone()
            disagreements = sheet_conflicts(
                sheet, changes(source, sheet.sheet_id), bytes(rubric_row[0]) if rubric_row else None
            )
            if disagreements:
                skipped.append(Problem(name, None, f"{label}: {'; '.join(disagreements)}; skipped"))
                continue
            signed = seal_signature(source, sheet.sheet_id)
            fault = seal_fault(sheet, changes(source, sheet.sheet_id), signed, enrolled)
            if fault is not None:
                skipped.append(Problem(name, None, f"{label} {fault}; skipped"))
                continue
            here = target.execute("SELECT seal_hash FROM panel_sheets WHERE sheet_id = ?", (sheet.sheet_id,)).fetchone()
            if here is not None:
                if here[0] == sheet.seal_hash:
                    unchanged.append(sheet.sheet_id)
                else:
                    conflicts.append(
                        Problem(name, None, f"{label} exists in the target with different content; kept the target's")
                    )
                continue
            twin = find_sheet(target, sheet.rubric_id, sheet.candidate_id, sheet.panelist)
            if twin is not None:
                conflicts.append(
                    Problem(
                        name,
                        None,
                        f"{label}: the target already has sheet {twin.sheet_id} for this panelist and candidate",
                    )
                )
                continue
            _copy_sheet(source, target, sheet.sheet_id, sheet.rubric_digest)
            added.append(sheet.sheet_id)
        if _has_table(source, "panel_moderations"):
            for m in moderations(source):
                row = target.execute(
                    "SELECT rubric_id, candidate_id, score, reason, moderator, moderated_at FROM panel_moderations "
                    "WHERE moderation_id = ?",
                    (m.moderation_id,),
                ).fetchone()
                if row is None:
                    _insert_moderation(target, m)
                    moderations_added += 1
                elif tuple(row) != (m.rubric_id, m.candidate_id, m.score, m.reason, m.moderator, m.moderated_at):
                    conflicts.append(
                        Problem(name, None, f"moderation {m.moderation_id} differs in the target; kept the target's")
                    )
        moderations_added += _import_chair_records(source, target, name, conflicts)
    return ImportReport(
        tuple(added), tuple(unchanged), tuple(conflicts), tuple(skipped), moderations_added, tuple(voided)
    )


def _copy_sheet(source: sqlite3.Connection, target: sqlite3.Connection, sheet_id: str, digest: str) -> None:
    rubric = source.execute(
        "SELECT digest, rubric_id, title, source FROM panel_rubrics WHERE digest = ?", (digest,)
    ).fetchone()
    target.execute(
        "INSERT OR IGNORE INTO panel_rubrics (digest, rubric_id, title, source) VALUES (?, ?, ?, ?)", tuple(rubric)
    )
    for table, columns in (
        ("panel_sheets", _SHEET_COLUMNS),
        ("panel_scores", "sheet_id, criterion_id, level"),
        ("panel_notes", "sheet_id, seq, criterion_id, text, noted_at"),
        ("panel_changes", "sheet_id, seq, kind, at, criterion_id, old_level, new_level, text, undoes"),
        ("panel_timer_events", "sheet_id, seq, phase_id, kind, at, elapsed"),
        ("panel_seal_signatures", "sheet_id, key_id, signature"),
    ):
        if not _has_table(source, table) or not _has_table(target, table):
            continue  # a file from before the timer was recorded
        rows = source.execute(f"SELECT {columns} FROM {table} WHERE sheet_id = ?", (sheet_id,)).fetchall()
        marks = ", ".join("?" * len(columns.split(",")))
        target.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", [tuple(r) for r in rows])


def import_files(target_path: str, sources: Iterable[str]) -> list[tuple[str, ImportReport]]:
    """Import several panel database files into one, reading each source read-only."""
    target = open_store(target_path)
    reports = []
    try:
        for path in sources:
            source = connect(path, readonly=True)
            try:
                reports.append((path, import_scoresheets(source, target)))
            finally:
                source.close()
    finally:
        target.close()
    return reports


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _db_name(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return (row[2] if row and row[2] else ":memory:") if row else ":memory:"


# --- the chair: moderation per criterion, the consolidated sheet ------------------------

_CM_COLUMNS = "moderation_id, rubric_id, candidate_id, criterion_id, level, reason, moderator, moderated_at"
_CONSOLIDATED_COLUMNS = "consolidation_id, rubric_id, rubric_digest, candidate_id, chair, content, seal_hash, sealed_at"


def record_criterion_moderation(
    conn: sqlite3.Connection,
    rubric: Rubric,
    candidate_id: str,
    criterion_id: str,
    level: int,
    reason: str,
    moderator: str,
    at: str,
) -> CriterionModeration:
    """Record the chair's level for one criterion; earlier ones stay, the latest counts."""
    moderation = check_criterion_moderation(
        rubric,
        CriterionModeration(uuid.uuid4().hex, rubric.id, candidate_id, criterion_id, level, reason, moderator, at),
    )
    with transaction(conn):
        if not conn.execute(
            "SELECT 1 FROM panel_sheets WHERE rubric_id = ? AND candidate_id = ? LIMIT 1", (rubric.id, candidate_id)
        ).fetchone():
            raise StoreError(
                Problem(_db_name(conn), None, f"no scoresheet for candidate '{candidate_id}' on rubric {rubric.id}")
            )
        sealed = consolidation(conn, rubric, candidate_id)
        if sealed is not None:
            raise StoreError(
                Problem(
                    _db_name(conn),
                    None,
                    f"the consolidated sheet for {candidate_id} was sealed by {sealed.chair} at {sealed.sealed_at}; "
                    "it can no longer be moderated",
                )
            )
        conn.execute(
            f"INSERT INTO panel_criterion_moderations ({_CM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                moderation.moderation_id,
                moderation.rubric_id,
                moderation.candidate_id,
                moderation.criterion_id,
                moderation.level,
                moderation.reason,
                moderation.moderator,
                moderation.moderated_at,
            ),
        )
    return moderation


def criterion_moderations(conn: sqlite3.Connection, rubric_id: str | None = None) -> list[CriterionModeration]:
    """Every moderated level recorded (the latest per criterion counts), oldest first."""
    if not _has_table(conn, "panel_criterion_moderations"):
        return []
    sql = f"SELECT {_CM_COLUMNS} FROM panel_criterion_moderations"
    params: tuple[str, ...] = ()
    if rubric_id is not None:
        sql += " WHERE rubric_id = ?"
        params = (rubric_id,)
    return [CriterionModeration(*row) for row in conn.execute(sql + " ORDER BY moderated_at, moderation_id", params)]


def consolidation(conn: sqlite3.Connection, rubric: Rubric, candidate_id: str) -> Consolidation | None:
    """The sealed consolidated sheet for this candidate under this rubric file, if there is one."""
    if not _has_table(conn, "panel_consolidated"):
        return None
    row = conn.execute(
        f"SELECT {_CONSOLIDATED_COLUMNS} FROM panel_consolidated WHERE rubric_id = ? AND rubric_digest = ? "
        "AND candidate_id = ?",
        (rubric.id, rubric.digest, candidate_id),
    ).fetchone()
    return None if row is None else Consolidation(*row)


def seal_consolidation(
    conn: sqlite3.Connection, rubric: Rubric, candidate_id: str, chair: str, at: str
) -> Consolidation:
    """Seal the chair's consolidated sheet for a candidate, refusing while anything is open."""
    chair = check_person(chair, "chair's name")
    with transaction(conn):
        if consolidation(conn, rubric, candidate_id) is not None:
            raise StoreError(
                Problem(_db_name(conn), None, f"the consolidated sheet for {candidate_id} is already sealed")
            )
        sheets = [s for s in list_sheets(conn, rubric.id) if s.candidate_id == candidate_id]
        results, _ = aggregate(rubric, sheets, moderations(conn, rubric.id), criterion_moderations(conn, rubric.id))
        if not results:
            raise StoreError(Problem(_db_name(conn), None, f"no scoresheet for candidate '{candidate_id}'"))
        problems = consolidation_problems(results[0])
        if problems:
            raise StoreError([Problem(f"candidate {candidate_id}", None, p) for p in problems])
        content = consolidated_content(rubric, results[0], chair, at)
        sealed = Consolidation(
            uuid.uuid4().hex, rubric.id, rubric.digest, candidate_id, chair, content, seal_content(content), at
        )
        conn.execute(
            f"INSERT INTO panel_consolidated ({_CONSOLIDATED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sealed.consolidation_id,
                sealed.rubric_id,
                sealed.rubric_digest,
                sealed.candidate_id,
                sealed.chair,
                sealed.content,
                sealed.seal_hash,
                sealed.sealed_at,
            ),
        )
    return sealed


def _import_chair_records(
    source: sqlite3.Connection, target: sqlite3.Connection, name: str, conflicts: list[Problem]
) -> int:
    """Copy criterion moderations and consolidated sheets by id; a differing copy is a conflict."""
    added = 0
    for table, columns in (
        ("panel_criterion_moderations", _CM_COLUMNS),
        ("panel_consolidated", _CONSOLIDATED_COLUMNS),
    ):
        if not _has_table(source, table):
            continue
        key = columns.split(",")[0]
        marks = ", ".join("?" * len(columns.split(",")))
        for row in source.execute(f"SELECT {columns} FROM {table}").fetchall():
            if table == "panel_consolidated" and not Consolidation(*row).verifies():
                conflicts.append(Problem(name, None, f"consolidated sheet {row[0]} does not match its seal; skipped"))
                continue
            here = target.execute(f"SELECT {columns} FROM {table} WHERE {key} = ?", (row[0],)).fetchone()
            if here is None:
                try:
                    target.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row))
                except sqlite3.IntegrityError:
                    conflicts.append(Problem(name, None, f"{table} {row[0]}: the target already has one; kept it"))
                    continue
                added += 1
            elif tuple(here) != tuple(row):
                conflicts.append(Problem(name, None, f"{table} {row[0]} differs in the target; kept the target's"))
    return added
