"""Standard-setting records: judges' Angoff ratings, Hofstee judgements and adopted standards.

* ``angoff_ratings``      -- one row per judge, item and round (a later entry of the same key
  replaces the earlier one: the judge changed their mind); ``source`` says CSV file or TUI;
* ``hofstee_judgements``  -- per judge: the lowest and highest acceptable cut (percent correct)
  and the lowest and highest acceptable fail rate (percent);
* ``standard_judges``     -- who signed in to rate, and when (the rating TUI);
* ``standards``           -- every adopted standard, for audit: method, date, who, the cut, the
  ratings adopted and the exam definition's SHA-256 before and after it was rewritten.

Each rating from the TUI is its own transaction, so a crash loses at most the rating being typed.
The tables live in the admin database (admin.MIGRATIONS includes them) or in a judge's own file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.psychometrics.angoff import AngoffReport, HofsteeJudgement, Rating, angoff_report
from ccsoo_exam.psychometrics.standard import AdoptedStandard
from ccsoo_exam.store.database import Migration, connect, transaction

MIGRATIONS: list[Migration] = [
    (
        "standard-001-angoff",
        """
        CREATE TABLE angoff_ratings (
            exam_id TEXT NOT NULL,
            judge TEXT NOT NULL,
            item TEXT NOT NULL,
            round INTEGER NOT NULL CHECK (round >= 1),
            rating REAL NOT NULL CHECK (rating >= 0 AND rating <= 1),
            source TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (exam_id, judge, item, round)
        ) WITHOUT ROWID;
        CREATE TABLE hofstee_judgements (
            exam_id TEXT NOT NULL,
            judge TEXT NOT NULL,
            min_cut REAL NOT NULL,
            max_cut REAL NOT NULL,
            min_fail REAL NOT NULL,
            max_fail REAL NOT NULL,
            source TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (exam_id, judge)
        ) WITHOUT ROWID;
        CREATE TABLE standard_judges (
            exam_id TEXT NOT NULL,
            judge TEXT NOT NULL,
            signed_in_at TEXT NOT NULL,
            PRIMARY KEY (exam_id, judge, signed_in_at)
        ) WITHOUT ROWID;
        CREATE TABLE standards (
            standard_id INTEGER PRIMARY KEY,
            exam_id TEXT NOT NULL,
            method TEXT NOT NULL,
            adopted_on TEXT NOT NULL,
            adopted_by TEXT NOT NULL,
            round INTEGER NOT NULL,
            judges INTEGER NOT NULL,
            cut REAL NOT NULL,
            cut_se REAL,
            rounding TEXT NOT NULL,
            ratings TEXT NOT NULL,
            exam_file TEXT NOT NULL,
            exam_sha256_before TEXT NOT NULL,
            exam_sha256_after TEXT NOT NULL,
            adopted_at TEXT NOT NULL
        )
        """,
    ),
]


def open_ratings(path: str) -> sqlite3.Connection:
    """A judge's ratings database (or the admin database), created if missing."""
    return connect(path, MIGRATIONS)


def save_ratings(conn: sqlite3.Connection, exam_id: str, ratings: Iterable[Rating], source: str, at: str) -> int:
    """Store ratings in one transaction (same judge, item and round: the new value replaces the old)."""
    rows = [(exam_id, r.judge, r.item, r.round, r.rating, source, at) for r in ratings]
    with transaction(conn):
        conn.executemany(
            "INSERT OR REPLACE INTO angoff_ratings (exam_id, judge, item, round, rating, source, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def save_rating(conn: sqlite3.Connection, exam_id: str, rating: Rating, at: str) -> None:
    """One rating from the TUI: its own durable commit."""
    save_ratings(conn, exam_id, [rating], "tui", at)


def save_hofstee(
    conn: sqlite3.Connection, exam_id: str, judgements: Iterable[HofsteeJudgement], source: str, at: str
) -> int:
    rows = [(exam_id, h.judge, h.min_cut, h.max_cut, h.min_fail, h.max_fail, source, at) for h in judgements]
    with transaction(conn):
        conn.executemany(
            "INSERT OR REPLACE INTO hofstee_judgements (exam_id, judge, min_cut, max_cut, min_fail, max_fail, "
            "source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def load_ratings(conn: sqlite3.Connection, exam_id: str) -> list[Rating]:
    return [
        Rating(r[0], r[1], float(r[2]), int(r[3]))
        for r in conn.execute(
            "SELECT judge, item, rating, round FROM angoff_ratings WHERE exam_id = ? ORDER BY judge, item, round",
            (exam_id,),
        )
    ]


def load_hofstee(conn: sqlite3.Connection, exam_id: str) -> list[HofsteeJudgement]:
    return [
        HofsteeJudgement(r[0], float(r[1]), float(r[2]), float(r[3]), float(r[4]))
        for r in conn.execute(
            "SELECT judge, min_cut, max_cut, min_fail, max_fail FROM hofstee_judgements WHERE exam_id = ? "
            "ORDER BY judge",
            (exam_id,),
        )
    ]


def sign_in(conn: sqlite3.Connection, exam_id: str, judge: str, at: str) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO standard_judges (exam_id, judge, signed_in_at) VALUES (?, ?, ?)",
            (exam_id, judge, at),
        )


def record_standard(
    conn: sqlite3.Connection, exam_id: str, standard: AdoptedStandard, exam_file: str, before: str, after: str, at: str
) -> int:
    """The audit row of an adopted standard."""
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO standards (exam_id, method, adopted_on, adopted_by, round, judges, cut, cut_se, rounding, "
            "ratings, exam_file, exam_sha256_before, exam_sha256_after, adopted_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                exam_id,
                standard.method,
                standard.adopted,
                standard.adopted_by,
                standard.round,
                standard.judges,
                standard.cut,
                None if standard.cut_se != standard.cut_se else standard.cut_se,
                standard.rounding,
                json.dumps(dict(sorted(standard.ratings.items()))),
                exam_file,
                before,
                after,
                at,
            ),
        )
    return int(cursor.lastrowid or 0)


def adopted_standard(conn: sqlite3.Connection, exam_id: str) -> AdoptedStandard | None:
    """The latest standard adopted for this exam in this database, or None."""
    row = conn.execute(
        "SELECT method, adopted_on, adopted_by, cut, rounding, ratings, round, judges, cut_se FROM standards "
        "WHERE exam_id = ? ORDER BY standard_id DESC LIMIT 1",
        (exam_id,),
    ).fetchone()
    if row is None:
        return None
    return AdoptedStandard(
        row[0],
        row[1],
        row[2],
        float(row[3]),
        row[4],
        {k: float(v) for k, v in json.loads(row[5]).items()},
        int(row[6]),
        int(row[7]),
        float("nan") if row[8] is None else float(row[8]),
    )


def adopted_standards(conn: sqlite3.Connection) -> dict[str, AdoptedStandard]:
    """exam_id -> its latest adopted standard, for every exam that has one."""
    exams = [r[0] for r in conn.execute("SELECT DISTINCT exam_id FROM standards")]
    found = {e: adopted_standard(conn, e) for e in exams}
    return {e: s for e, s in found.items() if s is not None}


def dropped_items(conn: sqlite3.Connection, exam_id: str) -> set[str]:
    """``bank/item`` of every item dropped by an applied rescoring of this exam (not scored)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'rescorings'").fetchone():
        return set()
    return {
        f"{r[0]}/{r[1]}"
        for r in conn.execute(
            "SELECT bank_id, item_id FROM rescorings WHERE exam_id = ? AND action = 'drop'", (exam_id,)
        )
    }


def scored_forms(conn: sqlite3.Connection, exam_id: str) -> list[tuple[str, tuple[str, ...], int, int]]:
    """Per submitted sitting: (sitting id, its scored items ``bank/item``, current raw, current total)."""
    dropped = dropped_items(conn, exam_id)
    has_current = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'current_scores'").fetchone()
    score_sql = (
        "SELECT c.sitting_id, c.raw, c.total FROM current_scores c JOIN sittings s USING (sitting_id) "
        "WHERE s.exam_id = ?"
        if has_current
        else "SELECT sitting_id, raw_score, item_count FROM sittings WHERE exam_id = ? AND status = 'submitted'"
    )
    scores = {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in conn.execute(score_sql, (exam_id,))}
    items: dict[str, list[str]] = {}
    for sitting_id, names in conn.execute(
        "SELECT r.sitting_id, group_concat(r.bank_id || '/' || r.item_id, ',') FROM responses r "
        "JOIN sittings s USING (sitting_id) WHERE s.exam_id = ? AND s.status = 'submitted' GROUP BY r.sitting_id",
        (exam_id,),
    ):
        items[sitting_id] = [n for n in names.split(",") if n not in dropped]
    return [(s, tuple(items.get(s, ())), raw, total) for s, (raw, total) in sorted(scores.items())]


def standard_results(conn: sqlite3.Connection) -> dict[str, tuple[int, bool]]:
    """sitting_id -> (form cut, passed) for every submitted sitting of an exam with an adopted standard."""
    found: dict[str, tuple[int, bool]] = {}
    for exam_id, standard in adopted_standards(conn).items():
        for sitting_id, items, raw, _ in scored_forms(conn, exam_id):
            cut = standard.form_cut(items)
            found[sitting_id] = (cut, raw >= cut)
    return found


def p_values(conn: sqlite3.Connection, exam_id: str, keys: dict[str, str]) -> dict[str, float]:
    """``bank/item`` -> share of submitted sittings given the item that chose its key (round 2 shows it)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'responses'").fetchone():
        return {}
    given: dict[str, int] = {}
    right: dict[str, int] = {}
    for name, answer, count in conn.execute(
        "SELECT r.bank_id || '/' || r.item_id, r.answer, COUNT(*) FROM responses r JOIN sittings s USING (sitting_id) "
        "WHERE s.exam_id = ? AND s.status = 'submitted' GROUP BY 1, 2",
        (exam_id,),
    ):
        given[name] = given.get(name, 0) + count
        if answer is not None and answer in keys.get(name, ""):
            right[name] = right.get(name, 0) + count
    return {name: right.get(name, 0) / n for name, n in given.items() if n}


def round_means(conn: sqlite3.Connection, exam_id: str, round_: int) -> dict[str, tuple[float, int]]:
    """``bank/item`` -> (mean rating, judges) in one round."""
    return {
        r[0]: (float(r[1]), int(r[2]))
        for r in conn.execute(
            "SELECT item, AVG(rating), COUNT(*) FROM angoff_ratings WHERE exam_id = ? AND round = ? GROUP BY item",
            (exam_id, round_),
        )
    }


def judge_ratings(conn: sqlite3.Connection, exam_id: str, judge: str, round_: int) -> dict[str, float]:
    return {
        r[0]: float(r[1])
        for r in conn.execute(
            "SELECT item, rating FROM angoff_ratings WHERE exam_id = ? AND judge = ? AND round = ?",
            (exam_id, judge, round_),
        )
    }


def angoff_report_from(
    conn: sqlite3.Connection,
    definition: ExamDefinition,
    modules: dict[str, int],
    *,
    round_: int | None = None,
    rounding: str = "up",
) -> AngoffReport | None:
    """The Angoff report of this database's ratings, forms and results (None without ratings).

    ``modules``: ``bank/item`` -> module for every item of the package (from the opened banks).
    """
    ratings = load_ratings(conn, definition.exam)
    if not ratings:
        return None
    forms = scored_forms(conn, definition.exam)
    blueprint: dict[int, int] = {}
    for entry in definition.blueprint:
        blueprint[entry.module] = blueprint.get(entry.module, 0) + entry.items
    return angoff_report(
        definition.exam,
        ratings,
        modules,
        blueprint,
        [items for _, items, _, _ in forms],
        load_hofstee(conn, definition.exam),
        [(raw, total) for _, _, raw, total in forms],
        round_=round_,
        rounding=rounding,
    )
