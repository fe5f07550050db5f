"""A terminal's results file read once and verified for merging: exactly the rows the admin database may take.

Merging is reading and checking (the chain, every stored field against it, every signature:
nearly all of the work) and then writing. The reading half lives here, apart from the admin
database, so that ``admin.merge_files`` can run it for many files at once in worker processes
while one process writes the admin database in argument order.

What comes back is the very rows that were verified: each sitting's row, responses, events
and signatures, read in one read transaction of the source. The writer inserts those and
nothing else, so a file changed after it was read cannot slip an unchecked row into a merge.
The source is opened read-only; nothing here writes to any database.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import sqlite3
import stat
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from ccsoo_exam.chain import Event, verify_chain
from ccsoo_exam.errors import Problem, StoreError
from ccsoo_exam.inputs import not_regular
from ccsoo_exam.replay import ChainProblem, row_conflicts
from ccsoo_exam.store.database import connect, table_columns

SITTING_TABLES = ("sittings", "responses", "events")
# The Event fields, by their column names: verification reads these, the copy reads them too.
EVENT_FIELDS = ("seq", "kind", "payload", "wall_time", "consumed_seconds", "prev_hash", "hash")
NOT_SQLITE = "is not a ccsoo-exam database (not an SQLite file)"
# What checking a sitting's values can raise when a file holds what no terminal writes (text
# where a number belongs, a payload nested past the parser's depth): that sitting is broken.
_HOSTILE = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError)


@dataclass(frozen=True)
class VerifiedSitting:
    """One sitting whose chain, rows and signatures hold, with the rows as they were checked."""

    sitting_id: str
    candidate_id: object
    row: tuple[object, ...]  # in ``SourceReading.sitting_columns`` order, the proctor's PIN hash blanked
    responses: tuple[tuple[object, ...], ...]  # ``response_columns``, by position
    events: tuple[tuple[object, ...], ...]  # ``event_columns``, by seq
    signatures: tuple[tuple[int, str, bytes], ...]  # (seq, key id, signature), by seq
    content_hash: str
    chain_head: object
    event_count: object


@dataclass(frozen=True)
class SourceReading:
    """What one result file holds for the merge: verified sittings, broken ones, whether it has scoresheets."""

    path: str
    resolved: str  # the absolute path recorded in merge_log and merged_sittings
    sha256: str
    has_sittings: bool
    has_panel: bool
    sitting_columns: tuple[str, ...] = ()  # the columns both this file and the admin database know
    response_columns: tuple[str, ...] = ()
    event_columns: tuple[str, ...] = ()
    verified: tuple[VerifiedSitting, ...] = ()
    broken: tuple[Problem, ...] = ()  # worded ``path: sitting ... ; not imported``


def read_source(path: str, enrolled: Mapping[str, str], target_columns: Mapping[str, Sequence[str]]) -> SourceReading:
    """Read and verify one terminal or panel database; StoreError when it cannot be read as one.

    ``enrolled`` is the admin database's key id -> public key registry; ``target_columns`` its
    columns of sittings, responses and events (a newer terminal may carry columns it lacks).
    Scoresheets are only noted here: ``scoresheets.import_scoresheets`` reads and checks them.
    """
    reason = not_regular(path)
    if reason is not None:
        raise StoreError(Problem(path, None, reason))
    try:
        return _read(path, enrolled, target_columns)
    except OSError as exc:  # vanished or unreadable between the stat and the read
        raise StoreError(
            Problem(path, None, f"cannot be read ({exc.strerror or exc}); check the path and permissions")
        ) from None


def _read(path: str, enrolled: Mapping[str, str], target_columns: Mapping[str, Sequence[str]]) -> SourceReading:
    _require_sqlite_header(path)
    source = connect(path, readonly=True)
    source.row_factory = None  # plain tuples: what is verified is what is handed back, as it was read
    try:
        try:
            tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError:
            raise StoreError(Problem(path, None, NOT_SQLITE)) from None
        has_sittings = set(SITTING_TABLES) <= tables
        has_panel = "panel_sheets" in tables
        if not has_sittings and not has_panel:
            raise StoreError(
                Problem(path, None, "is an SQLite file but not a ccsoo-exam database (no sittings or scoresheets)")
            )
        try:
            if not has_sittings:
                return SourceReading(path, str(Path(path).resolve()), _file_sha256(path), False, has_panel)
            # One read transaction: every row below comes from the same state of the file.
            source.execute("BEGIN")
            try:
                return _read_sittings(source, path, enrolled, target_columns, "signatures" in tables, has_panel)
            finally:
                if source.in_transaction:
                    source.execute("ROLLBACK")
        except sqlite3.DatabaseError as exc:
            raise StoreError(Problem(path, None, f"cannot be read as a ccsoo-exam database ({exc})")) from None
    finally:
        source.close()


def read_source_problems(
    path: str, enrolled: Mapping[str, str], target_columns: Mapping[str, Sequence[str]]
) -> SourceReading | list[Problem]:
    """``read_source``, with whatever stops it as the file's problems (what a worker process returns).

    A worker's exception would otherwise come back as a traceback; here every failure is one
    line about this file, the same whether the file was read in a worker or in the merging
    process. Anything unforeseen in a hostile file is reported against the file, which is then
    not merged.
    """
    try:
        return read_source(path, enrolled, target_columns)
    except StoreError as error:
        return list(error.problems)
    except Exception as exc:  # reported, never swallowed: the file is counted unreadable, exit status 2
        return [Problem(path, None, f"cannot be checked ({type(exc).__name__}: {exc}); not merged")]


def worker_started() -> None:
    """Set up a worker process of ``admin.merge_files``: leave ctrl-C to the merge, end with it.

    A ctrl-C reaches every process of the terminal's group; the merging process handles it
    and shuts the pool down, so a worker neither dies mid-file nor prints a traceback. A
    worker whose merging process is gone (killed) ends instead of waiting for work forever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), daemon=True).start()


def _end_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _require_sqlite_header(path: str) -> None:
    # Non-blocking and checked on the open descriptor: a path swapped for a FIFO after the
    # stat above must not hang the merge.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StoreError(Problem(path, None, "is not a regular file any more; give the path of a file"))
        header = os.read(fd, 16)
    finally:
        os.close(fd)
    if header != b"SQLite format 3\x00":
        raise StoreError(Problem(path, None, NOT_SQLITE))


def _read_sittings(
    source: sqlite3.Connection,
    path: str,
    enrolled: Mapping[str, str],
    target_columns: Mapping[str, Sequence[str]],
    signed_source: bool,
    has_panel: bool,
) -> SourceReading:
    from ccsoo_exam.signing import signature_fault  # cryptography: only when merging

    common = {t: [c for c in table_columns(source, t) if c in target_columns[t]] for t in SITTING_TABLES}
    sitting_cols = sorted(common["sittings"])
    response_cols = common["responses"]
    event_cols = common["events"]
    # The events are read once, for the chain and for the copy (the columns to copy first).
    event_read = [*event_cols, *(c for c in EVENT_FIELDS if c not in event_cols)]
    as_event = itemgetter(*(event_read.index(c) for c in EVENT_FIELDS))
    copied = len(event_cols)
    events_sql = f"SELECT {', '.join(event_read)} FROM events WHERE sitting_id = ? ORDER BY seq"
    responses_sql = f"SELECT {', '.join(response_cols)} FROM responses WHERE sitting_id = ? ORDER BY position"
    signatures_sql = "SELECT seq, key_id, signature FROM signatures WHERE sitting_id = ?"
    verified: list[VerifiedSitting] = []
    broken: list[Problem] = []
    for source_row in source.execute(
        f"SELECT {', '.join(sitting_cols)} FROM sittings ORDER BY created_at, sitting_id"
    ).fetchall():
        # The proctor's PIN hash stays on the terminal: the admin database never holds one.
        row = tuple("" if c == "proctor_pin" else v for c, v in zip(sitting_cols, source_row, strict=True))
        record = dict(zip(sitting_cols, row, strict=True))
        sitting_id = record["sitting_id"]
        event_rows = source.execute(events_sql, (sitting_id,)).fetchall()
        responses = source.execute(responses_sql, (sitting_id,)).fetchall()
        signed = source.execute(signatures_sql, (sitting_id,)).fetchall() if signed_source else []
        signatures: dict[int, tuple[str, bytes]] = {}
        try:
            events = [Event(*as_event(r)) for r in event_rows]
            fault = _sitting_fault(record, events, [dict(zip(response_cols, r, strict=True)) for r in responses])
            signatures = {r[0]: (r[1], bytes(r[2])) for r in signed}
            if fault is None:
                fault = signature_fault(sitting_id, events, signatures, enrolled)
        except _HOSTILE as exc:
            # A value no terminal writes (text where a number belongs, say): the sitting cannot
            # be checked, so it is not trusted.
            fault = f"cannot be checked ({type(exc).__name__}: {exc})"
        if fault is not None:
            broken.append(Problem(path, None, f"sitting {sitting_id} {fault}; not imported"))
            continue
        verified.append(
            VerifiedSitting(
                sitting_id,
                record["candidate_id"],
                row,
                tuple(responses),
                tuple(event_rows) if copied == len(event_read) else tuple(r[:copied] for r in event_rows),
                tuple((seq, key, signature) for seq, (key, signature) in sorted(signatures.items())),
                content_hash(sitting_cols, row, responses),
                record["chain_head"],
                record["event_count"],
            )
        )
    return SourceReading(
        path,
        str(Path(path).resolve()),
        _file_sha256(path),
        True,
        has_panel,
        tuple(sitting_cols),
        tuple(response_cols),
        tuple(event_cols),
        tuple(verified),
        tuple(broken),
    )


def _sitting_fault(record: dict[str, object], events: list[Event], responses: list[dict[str, object]]) -> str | None:
    """Why a sitting cannot be trusted, worded after 'sitting <id>', or None when it holds together.

    The chain must hold, and then every stored field of the sitting and its responses must be
    what the chain says (``replay.row_conflicts``): the rows are plain SQL beside the chain.
    """
    if not events:
        return "has no events (not even its check-in)"
    fault = verify_chain(events, record["chain_head"], record["event_count"])
    if fault is not None:
        return f"event {fault[0]}: {fault[1]}"
    try:
        conflicts = row_conflicts(record, responses, events)
    except (ChainProblem, ValueError, KeyError, TypeError) as exc:
        return f"cannot be re-derived from its events: {exc}"
    if conflicts:
        shown = "; ".join(c.describe() for c in conflicts[:3])
        more = f" (and {len(conflicts) - 3} more)" if len(conflicts) > 3 else ""
        return shown + more
    return None


def content_hash(columns: Sequence[str], row: Sequence[object], responses: Iterable[Sequence[object]]) -> str:
    """The digest that tells a sitting merged before from one with other contents under the same id."""
    body = json.dumps([list(columns), list(row), [list(r) for r in responses]], separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
