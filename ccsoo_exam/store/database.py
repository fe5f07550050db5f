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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ccsoo_exam.errors import Problem, StoreError

Migration = tuple[str, str]  # (unique name, SQL script)


def connect(
    path: str | os.PathLike[str], migrations: Sequence[Migration] = (), *, readonly: bool = False
) -> sqlite3.Connection:
    """Open (creating if needed) a results database with the durable settings applied."""
    name = str(path)
    try:
        if readonly:
            conn = sqlite3.connect(
                f"file:{Path(name).absolute()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
        else:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(
                    Problem(name, None, f"cannot use write-ahead logging (journal mode {mode}); use a local disk")
                )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            migrate(conn, migrations)
        return conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            Problem(
                name,
                None,
                f"cannot open the results database: {exc}; check the path, or that it is a ccsoo-exam database",
            )
        ) from None
    except OSError as exc:
        raise StoreError(Problem(name, None, f"cannot create the results database: {exc.strerror}")) from None


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


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT; rolled back on any error, so nothing half-written stays."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # COMMIT itself can fail (disk full); never leave it open
            conn.execute("ROLLBACK")
        raise


class ProcessLock:
    """An exclusive lock beside the database: one delivering process per database file.

    SQLite allows many writers in turn; two exam processes on one sitting would both
    think they own the clock. flock is released by the kernel when the process dies,
    so a kill -9 never leaves a stale lock behind.
    """

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.path = Path(f"{db_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            where = str(self.path)[: -len(".lock")]
            raise StoreError(
                Problem(where, None, f"cannot use this database location ({exc.strerror}); choose a writable directory")
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                Problem(
                    str(self.path)[:-5],
                    None,
                    "another ccsoo-exam process is using this database; close it first (only one may run per database)",
                )
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
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
