"""What the reports read from a results database: current scores, subscores, decisions, panels.

Reads only; scores are the current ones (after any applied rescoring, ``current_scores``),
so the reports agree with ``results export --table sittings`` and ``admin decisions``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from ccsoo_exam.chain import sitting_receipt
from ccsoo_exam.reports.bands import SittingResult
from ccsoo_exam.store.admin import has_table

_SCORES = """
SELECT s.sitting_id, s.candidate_id, COALESCE(NULLIF(c2.name, ''), s.candidate_name), s.exam_id, s.exam_title,
       s.submitted_at, c.raw, c.total, c.percent, c.passed, s.cut_score, s.item_count, c.module_scores, s.chain_head,
       c.rescoring_id {scaled}, {signature}
FROM sittings s JOIN {scores} c ON c.sitting_id = s.sitting_id
LEFT JOIN {roster} c2 ON c2.candidate_id = s.candidate_id
WHERE s.status = 'submitted' AND s.exam_id = ? {who}
ORDER BY s.candidate_id, s.submitted_at, s.sitting_id
"""
_TERMINAL_SCORES = (
    "(SELECT sitting_id, raw_score AS raw, item_count AS total, percent, passed, module_scores, "
    "NULL AS rescoring_id FROM sittings WHERE status = 'submitted')"
)


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def submitted_results(conn: sqlite3.Connection, exam_id: str, candidate_id: str | None = None) -> list[SittingResult]:
    """Every submitted sitting of the exam (of one candidate, if given) with its current score."""
    scores = "current_scores" if has_table(conn, "current_scores") else _TERMINAL_SCORES
    roster = "candidates" if has_table(conn, "candidates") else "(SELECT NULL AS candidate_id, NULL AS name)"
    # A calibration (Rasch, scaled score) may add a scaled column to the sittings; report it when present.
    scaled = ", s.scaled_score" if "scaled_score" in _columns(conn, "sittings") else ", NULL"
    # The receipt comes from the terminal's signature over the submission, where there is one.
    signature = (
        "(SELECT g.signature FROM signatures g WHERE g.sitting_id = s.sitting_id AND g.seq = s.event_count)"
        if has_table(conn, "signatures")
        else "NULL"
    )
    sql = _SCORES.format(
        scores=scores,
        roster=roster,
        scaled=scaled,
        signature=signature,
        who="AND s.candidate_id = ?" if candidate_id else "",
    )
    params: tuple[Any, ...] = (exam_id, candidate_id) if candidate_id else (exam_id,)
    results = []
    for row in conn.execute(sql, params):
        modules = json.loads(row[12]) if row[12] else {}
        results.append(
            SittingResult(
                sitting_id=row[0],
                candidate_id=row[1],
                candidate_name=row[2] or "",
                exam_id=row[3],
                exam_title=row[4],
                submitted_at=row[5] or "",
                raw=int(row[6]),
                total=int(row[7]),
                percent=float(row[8]),
                passed=bool(row[9]),
                cut_score=int(row[10]),
                item_count=int(row[11]),
                modules={int(m): (int(v[0]), int(v[1])) for m, v in modules.items()},
                receipt_code=sitting_receipt(row[13], bytes(row[16]) if row[16] else None),
                chain_head=row[13],
                scaled=None if row[15] is None else float(row[15]),
                rescored=row[14] is not None,
            )
        )
    return results


def candidate_results(conn: sqlite3.Connection, exam_id: str, candidate_id: str | None) -> list[SittingResult]:
    """Each candidate's latest submitted sitting of the exam, by candidate id (one candidate's, if given)."""
    latest: dict[str, SittingResult] = {}
    for result in submitted_results(conn, exam_id, candidate_id):
        latest[result.candidate_id] = result  # ordered by submission: later sittings replace earlier ones
    return [latest[c] for c in sorted(latest)]


@dataclass(frozen=True)
class DecisionRow:
    candidate_id: str
    name: str
    route: str
    decision: str
    reason: str
    decided_at: str


def decisions(conn: sqlite3.Connection) -> list[DecisionRow]:
    """The stored certification decisions (the latest 'admin decisions' run), by candidate."""
    if not has_table(conn, "decisions"):
        return []
    return [
        DecisionRow(*(value if value is not None else "" for value in row))
        for row in conn.execute(
            "SELECT candidate_id, name, route, decision, decision_reason, decided_at FROM decisions "
            "ORDER BY candidate_id"
        )
    ]


def rescorings(conn: sqlite3.Connection, exam_id: str) -> list[tuple[str, str, str, str, str, str]]:
    """Applied key changes of the exam: (item, action, letter, reason, by, at), oldest first."""
    if not has_table(conn, "rescorings"):
        return []
    return [
        (f"{r[0]}/{r[1]}", r[2], r[3] or "", r[4], r[5], r[6])
        for r in conn.execute(
            "SELECT bank_id, item_id, action, letter, reason, applied_by, applied_at FROM rescorings "
            "WHERE exam_id = ? ORDER BY rescoring_id",
            (exam_id,),
        )
    ]


def panel_reports(conn: sqlite3.Connection) -> list[tuple[Any, Any]]:
    """(rubric, PanelReport) for every rubric the panel scored against."""
    if not has_table(conn, "panel_sheets"):
        return []
    from ccsoo_exam.aggregation import panel_report
    from ccsoo_exam.store import scoresheets

    reports = []
    for rubric in scoresheets.stored_rubrics(conn):
        sheets = scoresheets.list_sheets(conn, rubric.id)
        reports.append((rubric, panel_report(rubric, sheets, scoresheets.moderations(conn, rubric.id))))
    return reports
