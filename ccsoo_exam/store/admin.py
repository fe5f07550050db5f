"""The administrator's database: the roster, merged results, rescorings and certification decisions.

The admin database carries the very same table shapes as a terminal (``sittings``,
``responses``, ``events``) and a panel machine (``panel_*``), plus its own tables:

* ``candidates``       -- the roster (also copied into terminal and panel databases for check-in);
* ``merged_sittings``  -- per merged sitting, the content hash and source file, for idempotent merges;
* ``merge_log``        -- one row per merged file, for audit;
* ``rescorings``       -- every applied key challenge: item, drop or accepted letter, who, why, when;
* ``rescored_scores``  -- each sitting's score before and after each rescoring (originals are never changed);
* ``current_scores``   -- a view: each submitted sitting's latest score (rescored, else as the terminal scored it);
* ``decisions``        -- the latest certification decision per candidate;
* ``eligibility_decisions`` -- the committee's case-by-case eligibility decisions, append-only
  (the audit log: who decided, why, when; the latest per candidate counts).

Merging never rewrites a sitting: a sitting is copied once, verified first, and a later file
holding the same sitting id with other contents is reported as a conflict. The answer key is
never written here; item analysis and rescoring read the keys from the encrypted package.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ccsoo_exam.certification import Decision
from ccsoo_exam.eligibility import ELIGIBLE, NOT_ELIGIBLE, REVIEW
from ccsoo_exam.errors import Problem, StoreError
from ccsoo_exam.inputs import not_regular
from ccsoo_exam.item_analysis import SittingAnswers
from ccsoo_exam.rescoring import KeyChange, RescoreResult
from ccsoo_exam.roster import RosterEntry
from ccsoo_exam.store import merge_source, scoresheets, sittings
from ccsoo_exam.store import standard as standard_store
from ccsoo_exam.store.database import Migration, connect, table_columns, transaction
from ccsoo_exam.text import has_control

ROSTER_MIGRATIONS: list[Migration] = [
    (
        "admin-001-roster",
        """
        CREATE TABLE IF NOT EXISTS candidates (
            candidate_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            degree TEXT,
            years_senior_management INTEGER,
            route TEXT CHECK (route IN ('panel', 'exam')),
            accommodations TEXT,
            eligibility TEXT,
            eligibility_reason TEXT
        )
        """,
    ),
]

ADMIN_MIGRATIONS: list[Migration] = [
    *ROSTER_MIGRATIONS,
    (
        "admin-002-merge",
        """
        CREATE TABLE merged_sittings (
            sitting_id TEXT PRIMARY KEY REFERENCES sittings (sitting_id),
            content_hash TEXT NOT NULL,
            chain_head TEXT NOT NULL,
            event_count INTEGER NOT NULL,
            source TEXT NOT NULL,
            merged_at TEXT NOT NULL
        );
        CREATE TABLE merge_log (
            merge_id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            merged_at TEXT NOT NULL,
            sittings_added INTEGER NOT NULL,
            sittings_unchanged INTEGER NOT NULL,
            conflicts INTEGER NOT NULL,
            broken INTEGER NOT NULL,
            sheets_added INTEGER NOT NULL
        );
        CREATE INDEX sittings_exam ON sittings (exam_id, status)
        """,
    ),
    (
        "admin-003-rescoring",
        """
        CREATE TABLE rescorings (
            rescoring_id INTEGER PRIMARY KEY,
            exam_id TEXT NOT NULL,
            bank_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('drop', 'accept')),
            letter TEXT CHECK (letter IN ('A', 'B', 'C', 'D')),
            reason TEXT NOT NULL,
            applied_by TEXT NOT NULL,
            applied_at TEXT NOT NULL,
            package_fingerprint TEXT NOT NULL,
            sittings INTEGER NOT NULL,
            decisions_changed INTEGER NOT NULL,
            sem REAL
        );
        CREATE TABLE rescored_scores (
            rescoring_id INTEGER NOT NULL REFERENCES rescorings (rescoring_id),
            sitting_id TEXT NOT NULL REFERENCES sittings (sitting_id),
            raw_before INTEGER NOT NULL,
            total_before INTEGER NOT NULL,
            passed_before INTEGER NOT NULL,
            raw_after INTEGER NOT NULL,
            total_after INTEGER NOT NULL,
            percent_after REAL NOT NULL,
            passed_after INTEGER NOT NULL,
            module_scores_after TEXT NOT NULL,
            PRIMARY KEY (rescoring_id, sitting_id)
        ) WITHOUT ROWID;
        CREATE INDEX rescored_scores_sitting ON rescored_scores (sitting_id, rescoring_id);
        CREATE VIEW current_scores AS
            SELECT s.sitting_id AS sitting_id,
                   COALESCE(r.raw_after, s.raw_score) AS raw,
                   COALESCE(r.total_after, s.item_count) AS total,
                   COALESCE(r.percent_after, s.percent) AS percent,
                   COALESCE(r.passed_after, s.passed) AS passed,
                   COALESCE(r.module_scores_after, s.module_scores) AS module_scores,
                   r.rescoring_id AS rescoring_id
            FROM sittings s
            LEFT JOIN rescored_scores r ON r.sitting_id = s.sitting_id AND r.rescoring_id = (
                SELECT MAX(x.rescoring_id) FROM rescored_scores x WHERE x.sitting_id = s.sitting_id)
            WHERE s.status = 'submitted'
        """,
    ),
    (
        "admin-004-decisions",
        """
        CREATE TABLE decisions (
            candidate_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            route TEXT,
            eligibility TEXT,
            eligibility_reason TEXT,
            sitting_id TEXT,
            exam_raw INTEGER,
            exam_total INTEGER,
            exam_passed INTEGER,
            panel_rubric TEXT,
            panel_final REAL,
            panel_decision TEXT,
            decision TEXT NOT NULL,
            decision_reason TEXT NOT NULL,
            decided_at TEXT NOT NULL
        )
        """,
    ),
    (
        # 'credit' (everyone gets the item) joins drop and accept, and a rescoring may protect
        # passes. SQLite cannot change a CHECK in place: rebuild the table. The foreign key from
        # rescored_scores is checked at commit (defer_foreign_keys); re-inserting the rows into
        # the table of the same name is what satisfies it again (a rename would not).
        "admin-005-rescoring-policies",
        """
        PRAGMA defer_foreign_keys = ON;
        CREATE TABLE rescorings_old AS SELECT * FROM rescorings;
        DROP TABLE rescorings;
        CREATE TABLE rescorings (
            rescoring_id INTEGER PRIMARY KEY,
            exam_id TEXT NOT NULL,
            bank_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('drop', 'accept', 'credit')),
            letter TEXT CHECK (letter IN ('A', 'B', 'C', 'D')),
            reason TEXT NOT NULL,
            applied_by TEXT NOT NULL,
            applied_at TEXT NOT NULL,
            package_fingerprint TEXT NOT NULL,
            sittings INTEGER NOT NULL,
            decisions_changed INTEGER NOT NULL,
            sem REAL,
            protect_passes INTEGER NOT NULL DEFAULT 0,
            protected INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO rescorings (rescoring_id, exam_id, bank_id, item_id, action, letter, reason, applied_by,
            applied_at, package_fingerprint, sittings, decisions_changed, sem)
            SELECT rescoring_id, exam_id, bank_id, item_id, action, letter, reason, applied_by, applied_at,
                   package_fingerprint, sittings, decisions_changed, sem FROM rescorings_old;
        DROP TABLE rescorings_old
        """,
    ),
    (
        "admin-006-roster-group",
        "ALTER TABLE candidates ADD COLUMN group_label TEXT",
    ),
    (
        "admin-005-terminals",
        """
        CREATE TABLE terminals (
            key_id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            public_key TEXT NOT NULL,
            enrolled_at TEXT NOT NULL
        )
        """,
    ),
    (
        "admin-005-eligibility-decisions",
        """
        CREATE TABLE eligibility_decisions (
            decision_id INTEGER PRIMARY KEY,
            candidate_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('eligible', 'not eligible')),
            reason TEXT NOT NULL,
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            roster_reason TEXT NOT NULL
        );
        CREATE INDEX eligibility_decisions_candidate ON eligibility_decisions (candidate_id, decision_id)
        """,
    ),
    (
        # An accepted key may be E now that items have 3 to 5 options. The CHECK cannot be
        # altered in place, so the table is rebuilt and its rows copied. rescored_scores refers
        # to it, so its rows are set aside first and put back once the new table holds every
        # rescoring: no foreign key is broken at any step.
        "admin-007-five-options",
        """
        CREATE TABLE rescored_scores_keep AS SELECT * FROM rescored_scores;
        DELETE FROM rescored_scores;
        CREATE TABLE rescorings_new (
            rescoring_id INTEGER PRIMARY KEY,
            exam_id TEXT NOT NULL,
            bank_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('drop', 'accept', 'credit')),
            letter TEXT CHECK (letter IN ('A', 'B', 'C', 'D', 'E')),
            reason TEXT NOT NULL,
            applied_by TEXT NOT NULL,
            applied_at TEXT NOT NULL,
            package_fingerprint TEXT NOT NULL,
            sittings INTEGER NOT NULL,
            decisions_changed INTEGER NOT NULL,
            sem REAL,
            protect_passes INTEGER NOT NULL DEFAULT 0,
            protected INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO rescorings_new SELECT
            rescoring_id, exam_id, bank_id, item_id, action, letter, reason, applied_by, applied_at,
            package_fingerprint, sittings, decisions_changed, sem, protect_passes, protected
        FROM rescorings;
        DROP TABLE rescorings;
        ALTER TABLE rescorings_new RENAME TO rescorings;
        INSERT INTO rescored_scores SELECT * FROM rescored_scores_keep;
        DROP TABLE rescored_scores_keep
        """,
    ),
]

# The admin database holds every table a terminal or a panel machine has, so the same SQL works on all.
MIGRATIONS: list[Migration] = [
    *sittings.MIGRATIONS,
    *scoresheets.MIGRATIONS,
    *ADMIN_MIGRATIONS,
    *standard_store.MIGRATIONS,
]


def open_admin(path: str) -> sqlite3.Connection:
    """Open (creating if needed) an administrator's database with all its tables."""
    return connect(path, MIGRATIONS)


def open_existing(path: str) -> sqlite3.Connection:
    """Open an admin database that must already exist (a typo should not create an empty one)."""
    reason = not_regular(path)
    if reason is not None:
        if "not found" in reason:
            reason = "database not found; check the path (create one with 'admin merge')"
        raise StoreError(Problem(path, None, reason))
    return connect(path, MIGRATIONS, create=False)


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')", (name,)).fetchone()
        is not None
    )


# --- roster -------------------------------------------------------------------------------


def replace_roster(conn: sqlite3.Connection, entries: Sequence[RosterEntry]) -> None:
    """Make the ``candidates`` table exactly this roster, in one transaction."""
    with transaction(conn):
        conn.execute("DELETE FROM candidates")
        conn.executemany(
            "INSERT INTO candidates (candidate_id, name, degree, years_senior_management, route, accommodations, "
            "eligibility, eligibility_reason, group_label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e.candidate_id,
                    e.name,
                    e.degree,
                    e.years_senior_management,
                    e.route,
                    e.accommodations,
                    e.eligibility.status,
                    e.eligibility.reason,
                    e.group or None,
                )
                for e in entries
            ],
        )


def roster_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    if not has_table(conn, "candidates"):
        return []
    return conn.execute("SELECT * FROM candidates ORDER BY candidate_id").fetchall()


def install_roster(admin: sqlite3.Connection, target_path: str) -> int:
    """Copy the admin roster into a terminal or panel database (created if missing) for check-in."""
    rows = admin.execute(
        "SELECT candidate_id, name, degree, years_senior_management, route, accommodations, eligibility, "
        "eligibility_reason FROM candidates ORDER BY candidate_id"
    ).fetchall()
    if not rows:
        raise StoreError(
            Problem("candidates", None, "the admin database has no roster; run 'admin roster import' first")
        )
    target = connect(target_path, ROSTER_MIGRATIONS)
    try:
        with transaction(target):
            target.execute("DELETE FROM candidates")
            target.executemany("INSERT INTO candidates VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [tuple(r) for r in rows])
    finally:
        target.close()
    return len(rows)


# --- case-by-case eligibility ------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityDecision:
    """The committee's decision on a candidate sent to case-by-case review."""

    decision_id: int
    candidate_id: str
    decision: str  # eligibility.ELIGIBLE or eligibility.NOT_ELIGIBLE
    reason: str
    decided_by: str
    decided_at: str
    roster_reason: str  # why the roster sent the candidate to review, as it stood then


def record_eligibility_decision(
    conn: sqlite3.Connection, candidate_id: str, decision: str, reason: str, by: str, at: str
) -> EligibilityDecision:
    """Record the committee's decision for a candidate whose roster eligibility is case-by-case review."""
    problems = []
    if decision not in (ELIGIBLE, NOT_ELIGIBLE):
        problems.append(Problem("--decision", None, "must be eligible or not-eligible"))
    reason = " ".join(reason.split())
    by = " ".join(by.split())
    for flag, value, what in (("--reason", reason, "why the committee decided so"), ("--by", by, "who decided")):
        if not value:
            problems.append(Problem(flag, None, f"is empty; give {what} (kept for audit)"))
        elif has_control(value):
            problems.append(Problem(flag, None, "contains control characters; type plain text"))
        elif len(value) > 2000:
            problems.append(Problem(flag, None, f"is {len(value)} characters; keep it under 2000"))
    if problems:
        raise StoreError(problems)
    with transaction(conn):
        row = (
            conn.execute(
                "SELECT eligibility, eligibility_reason FROM candidates WHERE candidate_id = ?", (candidate_id,)
            ).fetchone()
            if has_table(conn, "candidates")
            else None
        )
        if row is None:
            raise StoreError(Problem("--candidate", None, f"'{candidate_id}' is not on the roster; import it first"))
        if row[0] != REVIEW:
            raise StoreError(
                Problem(
                    "--candidate",
                    None,
                    f"{candidate_id} is '{row[0]}' under the rules ({row[1]}); only a candidate sent to "
                    f"'{REVIEW}' is decided by the committee",
                )
            )
        cursor = conn.execute(
            "INSERT INTO eligibility_decisions (candidate_id, decision, reason, decided_by, decided_at, roster_reason) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (candidate_id, decision, reason, by, at, row[1] or ""),
        )
        decision_id = int(cursor.lastrowid or 0)
    return EligibilityDecision(decision_id, candidate_id, decision, reason, by, at, row[1] or "")


def eligibility_decisions(conn: sqlite3.Connection) -> list[EligibilityDecision]:
    """Every committee decision, oldest first (later ones for a candidate supersede earlier ones)."""
    if not has_table(conn, "eligibility_decisions"):
        return []
    return [
        EligibilityDecision(*row)
        for row in conn.execute(
            "SELECT decision_id, candidate_id, decision, reason, decided_by, decided_at, roster_reason "
            "FROM eligibility_decisions ORDER BY decision_id"
        )
    ]


def latest_eligibility_decisions(conn: sqlite3.Connection) -> dict[str, EligibilityDecision]:
    latest: dict[str, EligibilityDecision] = {}
    for decision in eligibility_decisions(conn):
        latest[decision.candidate_id] = decision
    return latest


# --- merging ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeReport:
    """What merging one file did. Problems are already worded ``path: ...`` for the terminal."""

    source: str
    added: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    conflicts: tuple[Problem, ...] = ()
    broken: tuple[Problem, ...] = ()
    panel: scoresheets.ImportReport | None = None

    @property
    def problems(self) -> tuple[Problem, ...]:
        panel = (*self.panel.conflicts, *self.panel.skipped) if self.panel else ()
        return (*self.broken, *self.conflicts, *panel)

    def summary(self) -> str:
        text = (
            f"{len(self.added)} sittings added, {len(self.unchanged)} already merged, "
            f"{len(self.conflicts)} conflicts, {len(self.broken)} not imported (broken)"
        )
        return text + (f"; panel: {self.panel.summary()}" if self.panel else "")


@dataclass
class _Tally:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[Problem] = field(default_factory=list)
    broken: list[Problem] = field(default_factory=list)


def merge_file(target: sqlite3.Connection, path: str, at: str) -> MergeReport:
    """Merge one terminal or panel database into the admin database.

    Sittings: each one's event chain is verified (and its responses and score checked against
    its events) before anything is copied; a broken sitting is reported at its event and left
    out. A sitting already merged with the same content is left as it is (merging a file twice
    changes nothing); one with other content is a conflict, reported, and the merged copy kept.
    Sittings of one file go in one transaction; panel sheets go through
    ``scoresheets.import_scoresheets``, which runs its own.
    """
    reading = merge_source.read_source(path, enrolled_terminals(target), _target_columns(target))
    return _apply(target, reading, at)


# Fewer files than this are verified in the merging process: starting worker processes (each
# imports the store and cryptography, about half a second) would cost more than it saves.
POOL_FILES = 8


def merge_files(
    target: sqlite3.Connection, paths: Sequence[str], clock: Callable[[], str], *, workers: int | None = None
) -> Iterator[MergeReport | StoreError]:
    """Merge many files in order: for each path, its MergeReport, or the StoreError that kept it out.

    The same as ``merge_file`` on each path in turn (``clock()`` stamps each as it is written),
    but the reading and verifying, nearly all of the work, runs in ``workers`` processes (default:
    one per CPU available) while this process writes the files verified so far, in the order
    given: the output and merge_log are exactly the sequential ones. A worker hands back the
    very rows it verified, and those are what is inserted. Small merges, one CPU or
    ``workers=1`` verify in this process.

    The terminal registry and the admin database's columns are read once, at the start. As with
    any use of spawned processes, a script that calls this must guard its entry point with
    ``if __name__ == "__main__":`` (the ``ccsoo-exam`` command and ``python -m ccsoo_exam`` do).
    """
    enrolled = enrolled_terminals(target)
    columns = _target_columns(target)
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = min(workers, len(paths))
    if workers < 2 or len(paths) < POOL_FILES:
        readings: Generator[merge_source.SourceReading | list[Problem], None, None] = (
            merge_source.read_source_problems(path, enrolled, columns) for path in paths
        )
    else:
        readings = _pool_readings(paths, enrolled, columns, workers)
    try:
        for reading in readings:
            if isinstance(reading, list):
                yield StoreError(reading)
                continue
            try:
                yield _apply(target, reading, clock())
            except StoreError as error:
                yield error
    finally:
        readings.close()  # a pool stops with the merge


def _pool_readings(
    paths: Sequence[str], enrolled: dict[str, str], columns: dict[str, list[str]], workers: int
) -> Generator[merge_source.SourceReading | list[Problem], None, None]:
    """Each path's reading, in order, verified by ``workers`` processes a few files ahead of the writer.

    At most two files per worker are in flight, so a merge of large files does not hold every
    reading in memory at once. Workers are spawned (not forked): they inherit no open
    database, no lock and no thread of this process. Should the pool break (a worker killed),
    the files not yet read are read here instead, one by one, as a sequential merge would.
    """
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=merge_source.worker_started)
    pending: deque[Future[merge_source.SourceReading | list[Problem]]] = deque()
    done = submitted = 0
    try:
        while done < len(paths):
            try:
                while submitted < len(paths) and submitted - done < 2 * workers:
                    pending.append(pool.submit(merge_source.read_source_problems, paths[submitted], enrolled, columns))
                    submitted += 1
                reading = pending.popleft().result()
            except BrokenProcessPool:
                break
            done += 1
            yield reading
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for path in paths[done:]:  # reading is read-only: a file read in the broken pool is just read again
        yield merge_source.read_source_problems(path, enrolled, columns)


def _target_columns(target: sqlite3.Connection) -> dict[str, list[str]]:
    return {t: table_columns(target, t) for t in merge_source.SITTING_TABLES}


def _apply(target: sqlite3.Connection, reading: merge_source.SourceReading, at: str) -> MergeReport:
    """Write one file's verified reading into the admin database: its sittings and merge_log row in one transaction."""
    path = reading.path
    panel = None
    try:
        if reading.has_panel:
            source = connect(path, readonly=True)
            try:
                panel = scoresheets.import_scoresheets(source, target)
            finally:
                source.close()
        tally = _Tally(broken=list(reading.broken))
        with transaction(target):
            if reading.has_sittings:
                _insert_sittings(target, reading, at, tally)
            target.execute(
                "INSERT INTO merge_log (source, source_sha256, merged_at, sittings_added, sittings_unchanged, "
                "conflicts, broken, sheets_added) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    reading.resolved,
                    reading.sha256,
                    at,
                    len(tally.added),
                    len(tally.unchanged),
                    len(tally.conflicts),
                    len(tally.broken),
                    len(panel.added) if panel else 0,
                ),
            )
    except sqlite3.DatabaseError as exc:
        raise StoreError(Problem(path, None, f"cannot be read as a ccsoo-exam database ({exc})")) from None
    return MergeReport(
        path, tuple(tally.added), tuple(tally.unchanged), tuple(tally.conflicts), tuple(tally.broken), panel
    )


def _insert_sittings(target: sqlite3.Connection, reading: merge_source.SourceReading, at: str, tally: _Tally) -> None:
    """Copy each verified sitting not merged before; the same id with other contents is a conflict."""
    sitting_cols, response_cols, event_cols = reading.sitting_columns, reading.response_columns, reading.event_columns
    insert_sitting = f"INSERT INTO sittings ({', '.join(sitting_cols)}) VALUES ({', '.join('?' * len(sitting_cols))})"
    insert_responses = (
        f"INSERT INTO responses ({', '.join(response_cols)}) VALUES ({', '.join('?' * len(response_cols))})"
    )
    insert_events = f"INSERT INTO events ({', '.join(event_cols)}) VALUES ({', '.join('?' * len(event_cols))})"
    for sitting in reading.verified:
        sitting_id = sitting.sitting_id
        merged = target.execute(
            "SELECT content_hash, chain_head, event_count FROM merged_sittings WHERE sitting_id = ?", (sitting_id,)
        ).fetchone()
        if merged is None and target.execute("SELECT 1 FROM sittings WHERE sitting_id = ?", (sitting_id,)).fetchone():
            merged = (_stored_hash(target, sitting_id, sitting_cols, response_cols), None, None)
        if merged is not None:
            if merged[0] == sitting.content_hash:
                tally.unchanged.append(sitting_id)
            else:
                detail = ""
                if merged[2] is not None and merged[2] != sitting.event_count:
                    detail = f" ({sitting.event_count} events here, {merged[2]} in the merged copy)"
                label = f"sitting {sitting_id} (candidate {sitting.candidate_id})"
                tally.conflicts.append(
                    Problem(reading.path, None, f"{label} differs from the merged copy{detail}; kept the merged copy")
                )
            continue
        target.execute(insert_sitting, sitting.row)
        target.executemany(insert_responses, sitting.responses)
        target.executemany(insert_events, sitting.events)
        target.executemany(
            "INSERT INTO signatures (sitting_id, seq, key_id, signature) VALUES (?, ?, ?, ?)",
            [(sitting_id, seq, key, signature) for seq, key, signature in sitting.signatures],
        )
        target.execute(
            "INSERT INTO merged_sittings (sitting_id, content_hash, chain_head, event_count, source, merged_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (sitting_id, sitting.content_hash, sitting.chain_head, sitting.event_count, reading.resolved, at),
        )
        tally.added.append(sitting_id)


def enrolled_terminals(conn: sqlite3.Connection) -> dict[str, str]:
    """key id -> public key (hex) of every terminal enrolled in this admin database."""
    if not has_table(conn, "terminals"):
        return {}
    return {r[0]: r[1] for r in conn.execute("SELECT key_id, public_key FROM terminals")}


def enrol_terminal(conn: sqlite3.Connection, name: str, key_id: str, public_key: str, at: str) -> None:
    """Add a terminal's public key to the registry; a name or key enrolled twice is refused."""
    with transaction(conn):
        clash = conn.execute(
            "SELECT name, key_id FROM terminals WHERE name = ? OR key_id = ?", (name, key_id)
        ).fetchone()
        if clash is not None:
            raise StoreError(Problem("terminals", None, f"terminal '{clash[0]}' (key {clash[1]}) is already enrolled"))
        conn.execute(
            "INSERT INTO terminals (key_id, name, public_key, enrolled_at) VALUES (?, ?, ?, ?)",
            (key_id, name, public_key, at),
        )


def submitted_receipts(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """candidate id -> the receipt codes of their merged, submitted sittings (from the signed heads)."""
    from ccsoo_exam.chain import sitting_receipt

    found: dict[str, list[str]] = {}
    for candidate, head, signature in conn.execute(
        "SELECT s.candidate_id, s.chain_head, g.signature FROM sittings s "
        "LEFT JOIN signatures g ON g.sitting_id = s.sitting_id AND g.seq = s.event_count "
        "WHERE s.status = 'submitted' ORDER BY s.candidate_id, s.submitted_at"
    ):
        found.setdefault(candidate, []).append(sitting_receipt(head, bytes(signature) if signature else None))
    return found


def _stored_hash(
    conn: sqlite3.Connection, sitting_id: str, sitting_cols: Sequence[str], response_cols: Sequence[str]
) -> str:
    row = conn.execute(f"SELECT {', '.join(sitting_cols)} FROM sittings WHERE sitting_id = ?", (sitting_id,)).fetchone()
    responses = conn.execute(
        f"SELECT {', '.join(response_cols)} FROM responses WHERE sitting_id = ? ORDER BY position", (sitting_id,)
    ).fetchall()
    return merge_source.content_hash(sitting_cols, tuple(row), [tuple(r) for r in responses])


# --- reading scored responses -------------------------------------------------------------

# One row per submitted sitting with its items and answers concatenated in form order: SQLite
# builds the strings in C, so 10,000 x 80 responses cross into Python as 10,000 rows. The
# positions travel along because SQLite does not promise group_concat follows the inner order.
_ANSWERS_SQL = """
SELECT s.sitting_id, s.candidate_id, s.item_count, s.cut_score, g.items, g.answers, g.positions
FROM sittings s
JOIN (
    SELECT sitting_id,
           group_concat(bank_id || '/' || item_id, ',') AS items,
           group_concat(COALESCE(answer, '-'), '') AS answers,
           group_concat(position, ',') AS positions
    FROM (SELECT sitting_id, position, bank_id, item_id, answer FROM responses ORDER BY sitting_id, position)
    GROUP BY sitting_id
) g ON g.sitting_id = s.sitting_id
WHERE {where} AND s.exam_id = ?
ORDER BY s.sitting_id
"""
SUBMITTED = "s.status = 'submitted'"
# What item statistics use by default: sittings the candidate finished (submitted by them or
# at the end of time). A sitting the proctor ended, or one never submitted, says less about the
# items than about the incident.
PROCTOR_ENDED = "ended by the proctor%"
FINISHED = SUBMITTED + " AND COALESCE(s.submit_reason, '') NOT LIKE 'ended by the proctor%'"
EVERY = "1"


def excluded_sittings(conn: sqlite3.Connection, exam_id: str) -> tuple[int, int]:
    """(ended by the proctor, never submitted) sittings of this exam: what item statistics leave out."""
    row = conn.execute(
        "SELECT COALESCE(SUM(status = 'submitted' AND COALESCE(submit_reason, '') LIKE ?), 0), "
        "COALESCE(SUM(status != 'submitted'), 0) FROM sittings WHERE exam_id = ?",
        (PROCTOR_ENDED, exam_id),
    ).fetchone()
    return int(row[0]), int(row[1])


def submitted_answers(conn: sqlite3.Connection, exam_id: str, where: str = SUBMITTED) -> Iterator[SittingAnswers]:
    """Every submitted sitting of one exam with its items ('bank/item') and authored answers in form order.

    ``where`` chooses the sittings: SUBMITTED (rescoring: every scored sitting), FINISHED (item
    statistics by default) or EVERY (item statistics with --include-all).
    """
    if where not in (SUBMITTED, FINISHED, EVERY):
        raise ValueError("unknown sitting selection")
    expected: dict[int, str] = {}
    cursor = conn.execute(_ANSWERS_SQL.format(where=where), (exam_id,))
    while rows := cursor.fetchmany(2000):
        for sitting_id, candidate_id, item_count, cut_score, items, answers, positions in rows:
            count = len(answers)
            if count not in expected:
                expected[count] = ",".join(map(str, range(count)))
            if positions != expected[count]:
                order = sorted(range(count), key=[int(p) for p in positions.split(",")].__getitem__)
                split = items.split(",")
                items = ",".join(split[i] for i in order)
                answers = "".join(answers[i] for i in order)
            yield SittingAnswers(sitting_id, candidate_id, item_count, cut_score, items, answers)


def count_submitted(conn: sqlite3.Connection, exam_id: str) -> int:
    """How many submitted sittings the exam has (for a progress bar)."""
    sql = "SELECT COUNT(*) FROM sittings WHERE status = 'submitted' AND exam_id = ?"
    return int(conn.execute(sql, (exam_id,)).fetchone()[0])


def candidate_groups(conn: sqlite3.Connection) -> dict[str, str]:
    """candidate_id -> roster group, for candidates that have one (the DIF analysis)."""
    if "group_label" not in table_columns(conn, "candidates"):
        return {}
    rows = conn.execute("SELECT candidate_id, group_label FROM candidates WHERE group_label != ''")
    return {r[0]: r[1] for r in rows}


def current_scores(conn: sqlite3.Connection, exam_id: str) -> dict[str, tuple[int, int, bool]]:
    """sitting_id -> (raw, total, passed) as currently recorded (after any applied rescoring)."""
    return {
        r[0]: (r[1], r[2], bool(r[3]))
        for r in conn.execute(
            "SELECT c.sitting_id, c.raw, c.total, c.passed FROM current_scores c JOIN sittings s USING (sitting_id) "
            "WHERE s.exam_id = ?",
            (exam_id,),
        )
    }


# --- rescoring ----------------------------------------------------------------------------


def applied_changes(conn: sqlite3.Connection, exam_id: str) -> list[KeyChange]:
    """The key changes already applied to this exam, oldest first."""
    return [
        KeyChange(r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT bank_id, item_id, action, letter FROM rescorings WHERE exam_id = ? ORDER BY rescoring_id",
            (exam_id,),
        )
    ]


def record_rescoring(
    conn: sqlite3.Connection,
    exam_id: str,
    change: KeyChange,
    result: RescoreResult,
    *,
    reason: str,
    by: str,
    at: str,
    package_fingerprint: str,
) -> int:
    """Store an applied rescoring: who, why and when, and every sitting's score before and after."""
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO rescorings (exam_id, bank_id, item_id, action, letter, reason, applied_by, applied_at, "
            "package_fingerprint, sittings, decisions_changed, sem, protect_passes, protected) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                exam_id,
                change.bank_id,
                change.item_id,
                change.action,
                change.letter,
                reason,
                by,
                at,
                package_fingerprint,
                len(result.sittings),
                len(result.changed),
                result.sem,
                int(result.protect_passes),
                len(result.protected),
            ),
        )
        rescoring_id = int(cursor.lastrowid or 0)
        conn.executemany(
            "INSERT INTO rescored_scores (rescoring_id, sitting_id, raw_before, total_before, passed_before, "
            "raw_after, total_after, percent_after, passed_after, module_scores_after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    rescoring_id,
                    s.sitting_id,
                    s.before.raw,
                    s.before.total,
                    int(s.before.passed),
                    s.after.raw,
                    s.after.total,
                    s.after.percent,
                    int(s.after.passed),
                    json.dumps({str(m): list(v) for m, v in s.after.by_module.items()}),
                )
                for s in result.sittings
            ],
        )
    return rescoring_id


def unrescored_sittings(conn: sqlite3.Connection) -> int:
    """Submitted sittings merged after the latest rescoring of their exam (their score ignores it)."""
    return conn.execute(
        "SELECT COUNT(*) FROM sittings s WHERE s.status = 'submitted' "
        "AND EXISTS (SELECT 1 FROM rescorings r WHERE r.exam_id = s.exam_id) "
        "AND NOT EXISTS (SELECT 1 FROM rescored_scores x JOIN rescorings r USING (rescoring_id) "
        "WHERE x.sitting_id = s.sitting_id AND r.rescoring_id = "
        "(SELECT MAX(rescoring_id) FROM rescorings WHERE exam_id = s.exam_id))"
    ).fetchone()[0]


# --- certification ------------------------------------------------------------------------


def latest_exam_results(conn: sqlite3.Connection) -> dict[str, tuple[str, int, int, bool]]:
    """candidate_id -> (sitting_id, raw, total, passed) of their latest submitted sitting (current score)."""
    results: dict[str, tuple[str, int, int, bool]] = {}
    for row in conn.execute(
        "SELECT s.candidate_id, s.sitting_id, c.raw, c.total, c.passed FROM sittings s "
        "JOIN current_scores c USING (sitting_id) ORDER BY s.submitted_at, s.sitting_id"
    ):
        results[row[0]] = (row[1], row[2], row[3], bool(row[4]))  # later sittings replace earlier ones
    return results


def save_decisions(conn: sqlite3.Connection, decisions: Iterable[Decision], at: str) -> None:
    """Replace the stored decisions with these (the table always shows the latest run)."""
    with transaction(conn):
        conn.execute("DELETE FROM decisions")
        conn.executemany(
            "INSERT INTO decisions (candidate_id, name, route, eligibility, eligibility_reason, sitting_id, exam_raw, "
            "exam_total, exam_passed, panel_rubric, panel_final, panel_decision, decision, decision_reason, "
            "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    d.candidate_id,
                    d.name,
                    d.route,
                    d.eligibility,
                    d.eligibility_reason,
                    d.sitting_id,
                    d.exam_raw,
                    d.exam_total,
                    None if d.exam_passed is None else int(d.exam_passed),
                    d.panel_rubric,
                    d.panel_final,
                    d.panel_decision,
                    d.decision,
                    d.reason,
                    at,
                )
                for d in decisions
            ],
        )
