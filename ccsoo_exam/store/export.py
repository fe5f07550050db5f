"""Streaming exports of a results database as CSV or JSON, one table at a time.

Rows go from the SQLite cursor straight to the writer, so memory stays flat however many
sittings the database holds. Column lists are fixed here and documented in docs/admin.md;
a new column is only ever appended, so scripts that read by position keep working.

Works on an administrator's database and, for the tables it has, on a terminal's or a
panel machine's database; the file is opened read-only and never changed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ccsoo_exam.chain import sitting_receipt
from ccsoo_exam.errors import Problem, StoreError

FORMATS = ("csv", "json")


@dataclass(frozen=True)
class Table:
    """One exportable table: its stable columns, the query producing them, the tables it needs."""

    name: str
    columns: tuple[str, ...]
    sql: str
    needs: tuple[str, ...]
    transform: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None


_MODULES = tuple(f"module{m}_{part}" for m in range(1, 6) for part in ("correct", "items"))

_RESPONSES = Table(
    "responses",
    (
        "sitting_id",
        "candidate_id",
        "exam_id",
        "position",
        "module",
        "bank_id",
        "item_id",
        "answer",
        "answer_shown",
        "option_order",
        "flagged",
        "struck",
        "answered_at",
    ),
    # answer_shown: the letter on screen, i.e. where the authored option sat in option_order.
    """SELECT r.sitting_id, s.candidate_id, s.exam_id, r.position, r.module, r.bank_id, r.item_id,
              r.answer, CASE WHEN r.answer IS NULL THEN NULL ELSE char(64 + instr(r.option_order, r.answer)) END,
              r.option_order, r.flagged, r.struck, r.answered_at
       FROM responses r JOIN sittings s ON s.sitting_id = r.sitting_id
       ORDER BY r.sitting_id, r.position""",
    ("sittings", "responses"),
)

_SITTING_COLUMNS = (
    "sitting_id",
    "candidate_id",
    "candidate_name",
    "exam_id",
    "exam_title",
    "package_fingerprint",
    "form_seed",
    "form_digest",
    "status",
    "created_at",
    "started_at",
    "submitted_at",
    "submit_reason",
    "item_count",
    "cut_score",
    "base_seconds",
    "multiplier",
    "extension_seconds",
    "consumed_seconds",
    "event_count",
    "chain_head",
    "receipt_code",
    "original_raw",
    "original_percent",
    "original_passed",
    "raw",
    "total",
    "percent",
    "passed",
    "rescoring_id",
    *_MODULES,
    "scaled_score",
)
_RECEIPT = _SITTING_COLUMNS.index("receipt_code")
_MODULE_SQL = ", ".join(f"json_extract(c.module_scores, '$.\"{m}\"[{i}]')" for m in range(1, 6) for i in (0, 1))
# A terminal database has no current_scores view: its scores are the terminal's own.
_TERMINAL_SCORES = (
    "(SELECT sitting_id, raw_score AS raw, item_count AS total, percent, passed, module_scores, "
    "NULL AS rescoring_id FROM sittings WHERE status = 'submitted')"
)
_SIGNATURE_SQL = "(SELECT g.signature FROM signatures g WHERE g.sitting_id = s.sitting_id AND g.seq = s.event_count)"
_SITTINGS_SQL = f"""SELECT s.sitting_id, s.candidate_id, s.candidate_name, s.exam_id, s.exam_title,
              s.package_fingerprint, s.form_seed, s.form_digest, s.status, s.created_at, s.started_at,
              s.submitted_at, s.submit_reason, s.item_count, s.cut_score, s.base_seconds, s.multiplier,
              s.extension_seconds, s.consumed_seconds, s.event_count, s.chain_head,
              {_SIGNATURE_SQL},
              s.raw_score, s.percent, s.passed, c.raw, c.total, c.percent, c.passed, c.rescoring_id, {_MODULE_SQL},
              s.scaled_score
       FROM sittings s LEFT JOIN {{scores}} c ON c.sitting_id = s.sitting_id
       ORDER BY s.exam_id, s.candidate_id, s.created_at, s.sitting_id"""


def _with_receipt(row: tuple[Any, ...]) -> tuple[Any, ...]:
    values = list(row)
    signature = row[_RECEIPT]
    values[_RECEIPT] = sitting_receipt(row[_RECEIPT - 1], bytes(signature) if signature else None)
    return tuple(values)


_CANDIDATE_COLUMNS = (
    "candidate_id",
    "name",
    "degree",
    "years_senior_management",
    "route",
    "accommodations",
    "eligibility",
    "eligibility_reason",
)
_PANEL_COLUMNS = (
    "rubric_id",
    "candidate_id",
    "panelist",
    "sheet_id",
    "conflict",
    "conflict_reason",
    "sealed_at",
    "criterion_id",
    "level",
)
_DECISION_COLUMNS = (
    "candidate_id",
    "name",
    "route",
    "eligibility",
    "eligibility_reason",
    "sitting_id",
    "exam_raw",
    "exam_total",
    "exam_passed",
    "panel_rubric",
    "panel_final",
    "panel_decision",
    "decision",
    "decision_reason",
    "decided_at",
)
# The full event chain: with it anyone can re-verify a sitting (ccsoo_exam.chain) away from
# the database, which is what makes an export tamper-evident.
_EVENT_COLUMNS = ("sitting_id", "seq", "kind", "payload", "wall_time", "consumed_seconds", "prev_hash", "hash")
_MODERATION_COLUMNS = ("rubric_id", "candidate_id", "score", "reason", "moderator", "moderated_at", "moderation_id")

_CRITERION_MODERATION_COLUMNS = (
    "rubric_id",
    "candidate_id",
    "criterion_id",
    "level",
    "reason",
    "moderator",
    "moderated_at",
    "moderation_id",
)
_ELIGIBILITY_COLUMNS = (
    "decision_id",
    "candidate_id",
    "decision",
    "reason",
    "decided_by",
    "decided_at",
    "roster_reason",
)

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        _RESPONSES,
        Table("sittings", _SITTING_COLUMNS, _SITTINGS_SQL, ("sittings",), _with_receipt),
        Table(
            "events",
            _EVENT_COLUMNS,
            f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events ORDER BY sitting_id, seq",
            ("events",),
        ),
        Table(
            "candidates",
            _CANDIDATE_COLUMNS,
            f"SELECT {', '.join(_CANDIDATE_COLUMNS)} FROM candidates ORDER BY candidate_id",
            ("candidates",),
        ),
        Table(
            "panel",
            _PANEL_COLUMNS,
            """SELECT h.rubric_id, h.candidate_id, h.panelist, h.sheet_id, h.conflict, h.conflict_reason, h.sealed_at,
                      c.criterion_id, c.level
               FROM panel_sheets h LEFT JOIN panel_scores c ON c.sheet_id = h.sheet_id
               ORDER BY h.rubric_id, h.candidate_id, h.panelist, h.sheet_id, c.criterion_id""",
            ("panel_sheets", "panel_scores"),
        ),
        Table(
            "moderations",
            _MODERATION_COLUMNS,
            f"SELECT {', '.join(_MODERATION_COLUMNS)} FROM panel_moderations ORDER BY moderated_at, moderation_id",
            ("panel_moderations",),
        ),
        Table(
            "criterion_moderations",
            _CRITERION_MODERATION_COLUMNS,
            f"SELECT {', '.join(_CRITERION_MODERATION_COLUMNS)} FROM panel_criterion_moderations "
            "ORDER BY moderated_at, moderation_id",
            ("panel_criterion_moderations",),
        ),
        Table(
            "eligibility_decisions",
            _ELIGIBILITY_COLUMNS,
            f"SELECT {', '.join(_ELIGIBILITY_COLUMNS)} FROM eligibility_decisions ORDER BY decision_id",
            ("eligibility_decisions",),
        ),
        Table(
            "decisions",
            _DECISION_COLUMNS,
            f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decisions ORDER BY candidate_id",
            ("decisions",),
        ),
    )
}


Batch = list[tuple[Any, ...]]


def batches(conn: sqlite3.Connection, table: str, name: str = "results database") -> Iterator[Batch]:
    """The table's rows as batches of plain tuples in the documented column order.

    Raises at once (not at the first batch) when the database lacks the table.
    """
    spec = TABLES[table]
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: the writers need nothing more, and they are cheaper
    cursor.execute(_query(conn, table, name))
    return _fetch(cursor, spec.transform)


def _fetch(cursor: sqlite3.Cursor, transform: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None) -> Iterator[Batch]:
    while batch := cursor.fetchmany(5000):
        yield list(map(transform, batch)) if transform else batch


def _query(conn: sqlite3.Connection, table: str, name: str) -> str:
    spec = TABLES[table]
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    missing = [t for t in spec.needs if t not in present]
    if missing:
        hint = {
            "candidates": "import a roster with 'admin roster import'",
            "decisions": "run 'admin decisions' first",
        }.get(missing[0], "is this the right database?")
        raise StoreError(Problem(name, None, f"has no {missing[0]} table to export; {hint}"))
    if table == "sittings":
        sql = spec.sql.replace("{scores}", "current_scores" if "current_scores" in present else _TERMINAL_SCORES)
        if "signatures" not in present:  # a database from before signed results: receipts from the heads
            sql = sql.replace(_SIGNATURE_SQL, "NULL")
        columns = {r[1] for r in conn.execute("PRAGMA table_info(sittings)")}
        # A database written before scaled scores existed (opened read-only, not migrated) exports NULL.
        return sql if "scaled_score" in columns else sql.replace("s.scaled_score", "NULL")
    return spec.sql


# The responses table is the big one (80 rows per sitting). SQLite formats each CSV line in C
# with printf, which is what keeps the export within a small factor of a plain sqlite3 dump.
# printf does no CSV quoting, so each batch is checked as one string (C-speed counts): a line
# whose fields hold a quote, comma or line break would have a wrong comma count, and such a
# batch is written again through csv.writer, row by row, from the same rows.
_RESPONSE_LINES = """SELECT printf('%s,%s,%s,%d,%d,%s,%s,%s,%s,%s,%d,%s,%s', r.sitting_id, s.candidate_id, s.exam_id,
              r.position, r.module, r.bank_id, r.item_id, r.answer,
              CASE WHEN r.answer IS NULL THEN NULL ELSE char(64 + instr(r.option_order, r.answer)) END,
              r.option_order, r.flagged, r.struck, r.answered_at), r.rowid
       FROM responses r JOIN sittings s ON s.sitting_id = r.sitting_id
       ORDER BY r.sitting_id, r.position"""
_RESPONSE_BY_ROWID = _RESPONSES.sql.replace("ORDER BY r.sitting_id, r.position", "WHERE r.rowid = ?")


Progress = Callable[[int], None]  # told how many more rows were written


def count_rows(conn: sqlite3.Connection, table: str, name: str = "results database") -> int:
    """How many rows exporting ``table`` will write (for a progress bar; one cheap COUNT)."""
    spec = TABLES[table]
    _query(conn, table, name)
    base = {"responses": "responses", "panel": "panel_sheets h LEFT JOIN panel_scores c ON c.sheet_id = h.sheet_id"}
    return int(conn.execute(f"SELECT COUNT(*) FROM {base.get(table, spec.needs[0])}").fetchone()[0])


def _reporting(records: Iterable[Batch], progress: Progress | None) -> Iterable[Batch]:
    if progress is None:
        return records
    return (_told(batch, progress) for batch in records)


def _told(batch: Batch, progress: Progress) -> Batch:
    progress(len(batch))
    return batch


def export_csv(
    conn: sqlite3.Connection,
    out: IO[str],
    table: str,
    name: str = "results database",
    progress: Progress | None = None,
) -> int:
    """Write one table as CSV (see ``write_csv``), taking the fast path for responses; returns the row count."""
    if table != "responses":
        return write_csv(out, table, _reporting(batches(conn, table, name), progress))
    _query(conn, table, name)  # the same check and message as the other tables
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TABLES[table].columns)
    commas = len(TABLES[table].columns) - 1
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(_RESPONSE_LINES)
    count = 0
    while batch := cursor.fetchmany(5000):
        text = "\n".join([line for line, _ in batch])
        plain = text.count(",") == commas * len(batch) and text.count("\n") == len(batch) - 1
        if plain and '"' not in text and "\r" not in text:
            out.write(text)
            out.write("\n")
        else:
            for _, rowid in batch:
                writer.writerow(tuple(conn.execute(_RESPONSE_BY_ROWID, (rowid,)).fetchone()))
        count += len(batch)
        if progress is not None:
            progress(len(batch))
    return count


def _json_sql(spec: Table) -> str:
    # SQLite builds each object in C (json_object quotes and escapes every string), so no row
    # becomes a Python dict. The CTE names the query's columns after the documented ones.
    pairs = ", ".join(f"'{column}', {column}" for column in spec.columns)
    return f"WITH t({', '.join(spec.columns)}) AS ({spec.sql}) SELECT json_object({pairs}) FROM t"


def export_json(
    conn: sqlite3.Connection,
    out: IO[str],
    table: str,
    name: str = "results database",
    progress: Progress | None = None,
) -> int:
    """Write one table as JSON (the format of ``write_json``), streaming; returns the row count.

    Tables whose rows need no Python (all but sittings, whose receipt codes are derived here)
    are turned into JSON text by SQLite itself, which keeps the big responses and events
    exports within a small factor of a plain sqlite3 dump.
    """
    spec = TABLES[table]
    if spec.transform is not None:
        return write_json(out, table, _reporting(batches(conn, table, name), progress))
    _query(conn, table, name)
    cursor = conn.cursor()
    cursor.row_factory = None
    out.write("[")
    count = 0
    for text, rows in _response_objects(conn) if table == "responses" else _objects(cursor, _json_sql(spec)):
        out.write("\n" if count == 0 else ",\n")
        out.write(text)
        count += rows
        if progress is not None:
            progress(rows)
    out.write("\n]\n" if count else "]\n")
    return count


def _objects(cursor: sqlite3.Cursor, sql: str) -> Iterator[tuple[str, int]]:
    cursor.execute(sql)
    while batch := cursor.fetchmany(5000):
        yield ",\n".join([row[0] for row in batch]), len(batch)


# The responses as one string per sitting, joined by SQLite: 10,000 strings cross into Python
# rather than 800,000. The scan follows the (sitting_id, position) key, so the group needs no
# sort; group_concat keeps scan order in practice but SQLite does not promise it, so each
# sitting's positions travel along and a sitting whose order is off is fetched row by row.
_RESPONSE_OBJECTS = """SELECT group_concat({objects}, ',' || char(10)), group_concat(r.position), count(*), r.sitting_id
       FROM responses r JOIN sittings s ON s.sitting_id = r.sitting_id
       GROUP BY r.sitting_id ORDER BY r.sitting_id"""


def _response_objects(conn: sqlite3.Connection) -> Iterator[tuple[str, int]]:
    columns = TABLES["responses"].columns
    objects = "json_object(" + ", ".join(f"'{c}', {e}" for c, e in zip(columns, _RESPONSE_SOURCES, strict=True)) + ")"
    one_sitting = _json_sql(TABLES["responses"]).replace(
        "ORDER BY r.sitting_id", "WHERE r.sitting_id = ? ORDER BY r.sitting_id"
    )
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(_RESPONSE_OBJECTS.format(objects=objects))
    in_order: dict[int, str] = {}
    while batch := cursor.fetchmany(200):
        for text, positions, rows, sitting_id in batch:
            if rows not in in_order:
                in_order[rows] = ",".join(map(str, range(rows)))
            if positions != in_order[rows]:
                found = [int(p) for p in positions.split(",")]
                if found != sorted(found):
                    text = ",\n".join(row[0] for row in conn.execute(one_sitting, (sitting_id,)))
            yield text, rows


_RESPONSE_SOURCES = (
    "r.sitting_id",
    "s.candidate_id",
    "s.exam_id",
    "r.position",
    "r.module",
    "r.bank_id",
    "r.item_id",
    "r.answer",
    "CASE WHEN r.answer IS NULL THEN NULL ELSE char(64 + instr(r.option_order, r.answer)) END",
    "r.option_order",
    "r.flagged",
    "r.struck",
    "r.answered_at",
)


def write_csv(out: IO[str], table: str, records: Iterable[Batch]) -> int:
    """Header plus one line per row (RFC 4180 quoting, NULL as an empty field); returns the row count."""
    import csv  # only the exporting commands pay for it

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TABLES[table].columns)
    count = 0
    for batch in records:
        writer.writerows(batch)
        count += len(batch)
    return count


def write_json(out: IO[str], table: str, records: Iterable[Batch]) -> int:
    """A JSON array of objects keyed by column name, one object per line; returns the row count."""
    columns = TABLES[table].columns
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    out.write("[")
    count = 0
    for batch in records:
        out.write(
            ("\n" if count == 0 else ",\n") + ",\n".join(encode(dict(zip(columns, row, strict=True))) for row in batch)
        )
        count += len(batch)
    out.write("\n]\n" if count else "]\n")
    return count
