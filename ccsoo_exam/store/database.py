"""Opening a results database: durable settings, named migrations, one writer process.

Every connection runs in WAL mode with ``synchronous=FULL``: a commit that has returned
survives a power cut, which is what lets the screen say "saved". Each store module
brings its own list of named migrations; a database records which names it has applied,
so a terminal file and an administrator's merged file can carry different features.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from contextlib import contextmanager
from pathlib import Path

from ccsoo_exam.errors import Problem, StoreError
from ccsoo_exam.inputs import not_regular

Migration = tuple[str, str]  # (unique name, SQL script)

# Written into every database ccsoo-exam creates ("CCSE"), so a command pointed at some
# other SQLite file refuses it instead of creating its tables there.
APPLICATION_ID = 0x43435345

RECOVERY = (
    "keep the file and its -wal and -shm files as they are, and see 'Recovering a damaged database' in docs/delivery.md"
)


def connect(
    path: str | os.PathLike[str],
    migrations: Sequence[Migration] = (),
    *,
    readonly: bool = False,
    create: bool = True,
    verify: bool = False,
) -> sqlite3.Connection:
    """Open a results database with the durable settings applied.

    ``create=False`` opens only an existing ccsoo-exam database (admin commands: never add
    tables to a file someone pointed us at). ``verify`` runs SQLite's quick_check first, as a
    delivery terminal does at start: a damaged file is reported before anything writes to it.
    """
    name = str(path)
    try:
        if not create or readonly:
            _require_existing(name)
        if readonly:
            conn = sqlite3.connect(
                f"file:{Path(name).absolute()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
        else:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        if not create or readonly:
            _require_ours(conn, name)  # before anything could write to someone else's file
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(
                    Problem(name, None, f"cannot use write-ahead logging (journal mode {mode}); use a local disk")
                )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if verify:
            _quick_check(conn, name)
        if not readonly:
            if conn.execute("PRAGMA application_id").fetchone()[0] == 0 and _is_empty(conn):
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            migrate(conn, migrations)
        return conn
    except StoreError:
        raise
    except sqlite3.DatabaseError as exc:
        what = "is damaged or is not an SQLite file" if "malformed" in str(exc) or "not a database" in str(exc) else ""
        raise StoreError(
            Problem(
                name,
                None,
                f"cannot open the results database{' (it ' + what + ')' if what else ''}; "
                "check the path, or that it is a ccsoo-exam database; " + RECOVERY,
            )
        ) from None
    except OSError as exc:
        raise StoreError(Problem(name, None, f"cannot create the results database: {exc.strerror}")) from None


def _require_existing(name: str) -> None:
    reason = not_regular(name)
    if reason is not None:
        raise StoreError(Problem(name, None, "database not found; check the path" if "not found" in reason else reason))


def _is_empty(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def _require_ours(conn: sqlite3.Connection, name: str) -> None:
    """Accept a database ccsoo-exam made: its application id, or (older files) its migrations table."""
    if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
        return
    has_migrations = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").fetchone()
    if has_migrations and conn.execute("SELECT count(*) FROM migrations").fetchone()[0] > 0:
        return
    raise StoreError(Problem(name, None, "is not a ccsoo-exam database; give a results file that ccsoo-exam wrote"))


def _quick_check(conn: sqlite3.Connection, name: str) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise StoreError(Problem(name, None, f"the results database is damaged ({problems[0]}); {RECOVERY}"))


def checkpoint(conn: sqlite3.Connection) -> bool:
    """Copy the write-ahead log into the main file, so the main file alone holds the sitting.

    A committed change is durable in the -wal file already; this makes it durable in the
    database file too, so losing or deleting the -wal file (a careless copy, a cleanup
    script) costs at most the changes since the last checkpoint. Returns False when
    SQLite could not complete it (a reader in the way, a full disk): the changes are still
    safe in the log, and the next checkpoint tries again.
    """
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error:
        return False
    return busy == 0


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply the migrations this database has not seen, each in its own transaction."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations "
        "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    applied = []
    for name, script in migrations:
        if name in done:
            continue
        with transaction(conn):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO migrations (name) VALUES (?)", (name,))
        applied.append(name)
    return applied


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our transaction; split on ';' instead (schema SQL has no literals with ';').
    return [s.strip() for s in script.split(";") if s.strip()]


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """A table's column names, in order (the table name is ours, never a user's)."""
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


@contextmanager
def transaction(conn: sqlite3.Connection, during: Callable[[], None] | None = None) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT; rolled back on any error, so nothing half-written stays.

    ``during`` runs while the COMMIT is on its way to the disk, on the committer thread: the
    candidate's screen renders the change in that time and writes it once this returns. It
    must not raise and must not touch ``conn``; what it prepares is kept only if the COMMIT
    returned (the caller knows from this raising or not).
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        if during is None:
            conn.execute("COMMIT")
        else:
            _commit_during(conn, during)
    except BaseException:
        if conn.in_transaction:  # COMMIT itself can fail (disk full); never leave it open
            conn.execute("ROLLBACK")
        raise


_committer: ThreadPoolExecutor | None = None


def _commit_during(conn: sqlite3.Connection, during: Callable[[], None]) -> None:
    """COMMIT on the committer thread while ``during`` runs here.

    SQLite's COMMIT (the WAL write and its fsync, about 1.5 ms on a terminal's disk) runs
    without Python's lock, so on a second core it costs the key nothing that drawing the
    answer does not already take.
    """
    global _committer
    if _committer is None:
        _committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ccsoo-commit")
    committed: Future[sqlite3.Cursor] = _committer.submit(conn.execute, "COMMIT")
    try:
        during()
    finally:
        wait_for([committed])  # the connection is never used again while its COMMIT runs
    committed.result()  # the COMMIT's own error, if it failed


class ProcessLock:
    """An exclusive lock on the database file itself: one delivering process per database.

    SQLite allows many writers in turn; two exam processes on one sitting would both
    think they own the clock. The lock is an flock on the file's inode, so a symbolic or
    hard link to the same database, under any name, meets the same lock (SQLite's own
    locks are POSIX fcntl locks, which flock does not touch). The kernel releases it when
    the process dies, so a kill -9 never leaves a stale lock behind.
    """

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.path = Path(db_path)
        self._fd: int | None = None

    def acquire(self) -> None:
        where = str(self.path)
        try:
            real = Path(os.path.realpath(self.path))
            real.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(real, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
        except OSError as exc:
            raise StoreError(
                Problem(where, None, f"cannot use this database location ({exc.strerror}); choose a writable directory")
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StoreError(Problem(where, None, "is not a regular file (a FIFO, device or directory); give a file"))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                Problem(
                    where,
                    None,
                    "another ccsoo-exam process is using this database; close it first (only one may run per database)",
                )
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ProcessLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
